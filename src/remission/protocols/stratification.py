"""Risk stratification per time point: pending until its data exist, then a group and an arm."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from remission.errors import FieldProblem, InputError
from remission.protocols.explanations import explain_rule
from remission.protocols.model import Protocol, Stratification, TimePoint
from remission.protocols.mrd_parameters import mrd_rules_from
from remission.protocols.results import RuleTrace, StratificationResult, TimePointResult
from remission.record.model import PatientRecord
from remission.rules.evaluation import Evaluation, EvaluationContext, evaluate, reference_dates
from remission.rules.explain import missing_label
from remission.rules.truth import Truth
from remission.rules.wording import listed

PENDING = "pending"
UNCLASSIFIED = "unclassified"


def decide_time_point(point: TimePoint, ctx: EvaluationContext, protocol: Protocol) -> TimePointResult:
    """Read the rules in order: the first met rule decides unless an earlier one is unknown.

    Every rule is evaluated so that the trace shows all of them; each rule and the time point
    carry their sentences in words.
    """
    names = _outcome_names(protocol)
    traces = tuple(
        RuleTrace(
            point.id,
            rule.outcome,
            evaluation,
            explain_rule(protocol, names.get(rule.outcome, rule.outcome), evaluation, rule.source),
        )
        for rule in point.rules
        for evaluation in [evaluate(rule.when, ctx)]
    )
    outcome, missing, deciding = UNCLASSIFIED, [], None
    for trace in traces:
        if trace.evaluation.truth is Truth.UNKNOWN:
            outcome = PENDING
            missing = [
                p for t in traces if t.evaluation.truth is Truth.UNKNOWN for p in t.evaluation.all_missing()
            ]
            break
        if trace.evaluation.truth is Truth.MET:
            outcome, deciding = trace.outcome, trace
            break
    missing = list(dict.fromkeys(missing))
    return TimePointResult(
        point.id,
        point.label,
        point.assigns,
        outcome,
        tuple(missing),
        traces,
        summary=_summary(point, outcome, missing, names),
        data_date=_data_date(deciding.evaluation, ctx) if deciding else None,
    )


def _outcome_names(protocol: Protocol) -> dict[str, str]:
    """Group and track ids in words: ``High risk (HR)``, ``provisional track rearranged-track``."""
    strat = protocol.stratification
    if strat is None:
        return {}
    names = {group.id: f"{group.label} ({group.id})" for group in strat.risk_groups}
    return names | {track.id: f"provisional track {track.id}" for track in strat.provisional_tracks}


def _summary(point: TimePoint, outcome: str, missing: list[str], names: dict[str, str]) -> str:
    if outcome == PENDING:
        waiting = listed((missing_label(path) for path in missing), "and")
        return f"{point.label}: pending, waiting for {waiting}."
    if outcome == UNCLASSIFIED:
        return f"{point.label}: no rule applies to the recorded data; a person must review it."
    return f"{point.label}: {names.get(outcome, outcome)}, the first rule that applies."


def _data_date(evaluation: Evaluation, ctx: EvaluationContext) -> date | None:
    """The latest date of the data a deciding rule read: MRD sample dates, and the diagnosis
    date for findings at diagnosis (KMT2A status and other fields without a date of their own)."""
    dates: list[date] = []
    for node in evaluation.walk():
        claim = node.claim
        if claim.kind == "mrd":
            dates.extend(result.sample_date for result, _, _ in claim.detail["finding"].calls)
        elif not node.children and ctx.record.diagnosis and ctx.record.diagnosis.date:
            dates.append(ctx.record.diagnosis.date)
    return max(dates) if dates else None


def _track_change(
    protocol: Protocol, strat: Stratification, track_id: str | None, arm_id: str | None
) -> dict[str, Any] | None:
    """Phases given on the provisional track that the final arm does not contain."""
    if track_id is None or arm_id is None:
        return None
    track = next(t for t in strat.provisional_tracks if t.id == track_id)
    arm = next(a for a in protocol.arms if a.id == arm_id)
    foreign = [phase for phase in track.phases if phase not in arm.phases]
    if not foreign:
        return None
    return {
        "from_track": track.id,
        "to_arm": arm.id,
        "phases_not_in_arm": foreign,
        "continues_with": [phase for phase in arm.phases if phase not in track.phases],
    }


def stratify_patient(record: PatientRecord, protocol: Protocol, *, as_of: date) -> StratificationResult:
    """Assign ``record`` a risk group under ``protocol``, or say what it waits for."""
    strat = protocol.stratification
    if strat is None:
        raise InputError("--protocol", [FieldProblem(protocol.id, "this protocol encodes no risk groups")])
    rules, _ = mrd_rules_from(protocol.parameter_values())
    ctx = EvaluationContext(record, protocol.parameter_values(), reference_dates(record, as_of=as_of), rules)
    points = tuple(decide_time_point(point, ctx, protocol) for point in strat.time_points)
    final = next(point for point in points if point.assigns == "final")
    provisional = [
        p.outcome for p in points if p.assigns == "provisional" and p.outcome not in (PENDING, UNCLASSIFIED)
    ]
    track = provisional[-1] if provisional else None
    group = next((g for g in strat.risk_groups if g.id == final.outcome), None)
    arm = group.arm if group else None
    return StratificationResult(
        study_id=record.patient.study_id,
        protocol_id=protocol.id,
        protocol_version=protocol.version,
        risk_group=final.outcome,
        arm=arm,
        provisional_track=track,
        track_change=_track_change(protocol, strat, track, arm),
        time_points=points,
    )


def stratify_patients(
    records: Iterable[PatientRecord], protocol: Protocol, *, as_of: date
) -> list[StratificationResult]:
    """Stratify many records under one protocol (the batch entry point)."""
    return [stratify_patient(record, protocol, as_of=as_of) for record in records]
