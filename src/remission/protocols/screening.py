"""Eligibility screening: three-valued, with a verdict and a reason per criterion."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from remission.errors import FieldProblem, InputError
from remission.protocols.explanations import explain_criterion
from remission.protocols.model import Criterion, Protocol
from remission.protocols.mrd_parameters import mrd_rules_from
from remission.protocols.results import CriterionResult, ScreeningResult, Verdict
from remission.record.model import Attestation, PatientRecord
from remission.record.vocabulary import AttestedOutcome
from remission.rules.evaluation import Evaluation, EvaluationContext, evaluate, reference_dates
from remission.rules.truth import Truth


def _attestation(record: PatientRecord, protocol: Protocol, criterion: Criterion) -> Attestation | None:
    matching = [
        a for a in record.attestations if a.protocol_id == protocol.id and a.criterion_id == criterion.id
    ]
    # The latest date wins; on the same date, the one entered last (later in the list).
    return sorted(matching, key=lambda a: a.date)[-1] if matching else None


def _attested(
    protocol: Protocol, criterion: Criterion, attestation: Attestation, evaluation: Evaluation | None = None
) -> CriterionResult:
    status = Truth.MET if attestation.outcome is AttestedOutcome.MET else Truth.NOT_MET
    inputs = evaluation.all_inputs() if evaluation is not None else {}
    explanation = explain_criterion(protocol, criterion, status, evaluation, attestation)
    return CriterionResult(
        criterion.id,
        criterion.kind.value,
        criterion.decided.value,
        status,
        criterion.text,
        explanation.text,
        inputs={**inputs, "attestation": attestation.model_dump(mode="json", exclude_none=True)},
        evaluation=evaluation,
        attested_by=attestation.attested_by,
        explanation=explanation,
    )


def screen_criterion(
    record: PatientRecord, protocol: Protocol, criterion: Criterion, ctx: EvaluationContext
) -> CriterionResult:
    """Decide one criterion. A person's attestation settles what the record cannot."""
    attestation = _attestation(record, protocol, criterion)
    evaluation = evaluate(criterion.expression, ctx) if criterion.expression is not None else None
    decided = evaluation is not None and evaluation.truth is not Truth.UNKNOWN
    if attestation is not None and not decided:
        return _attested(protocol, criterion, attestation, evaluation)
    status = evaluation.truth if evaluation is not None else Truth.UNKNOWN
    explanation = explain_criterion(protocol, criterion, status, evaluation, overruled=attestation)
    return CriterionResult(
        criterion.id,
        criterion.kind.value,
        criterion.decided.value,
        status,
        criterion.text,
        explanation.text,
        inputs=evaluation.all_inputs() if evaluation is not None else {},
        missing=tuple(evaluation.all_missing()) if evaluation is not None else (),
        evaluation=evaluation,
        explanation=explanation,
    )


def _check_attestations(record: PatientRecord, protocol: Protocol) -> None:
    """Refuse attestations for this protocol that name no criterion of it (a typo would be ignored)."""
    known = {criterion.id for criterion in protocol.eligibility or []}
    problems = [
        FieldProblem(
            f"attestations[{i}].criterion_id", f"{a.criterion_id!r} is not a criterion of {protocol.id}"
        )
        for i, a in enumerate(record.attestations)
        if a.protocol_id == protocol.id and a.criterion_id not in known
    ]
    if problems:
        raise InputError(record.patient.study_id, problems)


def _verdict(results: Iterable[CriterionResult]) -> Verdict:
    results = list(results)
    if any(result.blocks for result in results):
        return Verdict.NOT_ELIGIBLE
    if any(result.status is Truth.UNKNOWN for result in results):
        return Verdict.NEEDS_REVIEW
    return Verdict.ELIGIBLE


def screen_patient(record: PatientRecord, protocol: Protocol, *, as_of: date) -> ScreeningResult:
    """Screen ``record`` against ``protocol``'s eligibility on the date ``as_of``.

    Eligible only when every inclusion is met and no exclusion is met or unknown.
    ``as_of`` stands in for the study entry date when the record has none.
    """
    if protocol.eligibility is None:
        raise InputError(
            "--protocol", [FieldProblem(protocol.id, "this protocol encodes no eligibility criteria")]
        )
    _check_attestations(record, protocol)
    rules, _ = mrd_rules_from(protocol.parameter_values())
    ctx = EvaluationContext(record, protocol.parameter_values(), reference_dates(record, as_of=as_of), rules)
    results = tuple(screen_criterion(record, protocol, c, ctx) for c in protocol.eligibility)
    return ScreeningResult(
        record.patient.study_id, protocol.id, protocol.version, as_of, _verdict(results), results
    )


def screen_patients(
    records: Iterable[PatientRecord], protocol: Protocol, *, as_of: date
) -> list[ScreeningResult]:
    """Screen many records against one protocol (the batch entry point)."""
    return [screen_patient(record, protocol, as_of=as_of) for record in records]
