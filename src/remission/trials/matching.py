"""Matching one child to trials with the protocols' screening engine.

Each criterion is decided by :func:`remission.protocols.screening.screen_criterion`, so a trial
verdict means exactly what a protocol verdict means: *eligible* when every inclusion is met and
no exclusion is met or unknown; *not eligible* when any criterion blocks; otherwise *needs
review*, listing the unknown criteria and the record fields they lack. Attestations settle what
the record cannot, as in protocol screening.

One difference, on purpose: the ``study_entry`` reference date is the matching date (``as_of``),
because a child matched to a trial would enter it now. The record's ``study_entry_date`` belongs
to the study the child is already screened for, not to every trial in the registry.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from remission.protocols.mrd_parameters import mrd_rules_from
from remission.protocols.results import CriterionResult, ScreeningResult, Verdict
from remission.protocols.screening import screen_criterion
from remission.record.model import PatientRecord
from remission.rules.evaluation import EvaluationContext, ReferenceDate
from remission.rules.truth import Truth
from remission.trials.biomarkers import match_biomarker
from remission.trials.genes import record_gene_warnings
from remission.trials.geo import Point, nearest_site
from remission.trials.model import Trial
from remission.trials.results import MatchReport, TrialMatch

MATCHING_DATE_SOURCE = "matching date (prospective study entry)"


def trial_reference_dates(record: PatientRecord, *, as_of: date) -> dict[str, ReferenceDate]:
    """Reference dates for trial criteria: the diagnosis date, and the matching date as study entry."""
    diagnosis = record.diagnosis.date if record.diagnosis else None
    return {
        "diagnosis": ReferenceDate(diagnosis, "diagnosis.date"),
        "study_entry": ReferenceDate(as_of, MATCHING_DATE_SOURCE),
    }


def _verdict(results: Iterable[CriterionResult]) -> Verdict:
    """The protocols' verdict rule (see :func:`remission.protocols.screening.screen_patient`)."""
    results = list(results)
    if any(result.blocks for result in results):
        return Verdict.NOT_ELIGIBLE
    if any(result.status is Truth.UNKNOWN for result in results):
        return Verdict.NEEDS_REVIEW
    return Verdict.ELIGIBLE


def _attestation_warnings(record: PatientRecord, trial: Trial) -> list[str]:
    """Attestations for this trial that name no current criterion (e.g. after a registry update)."""
    known = {criterion.id for criterion in trial.protocol.eligibility or []}
    return [
        f"attestations[{i}]: criterion {a.criterion_id!r} is not a criterion of {trial.id} (any more); "
        "it was not used: check the registry text and attest the current criterion"
        for i, a in enumerate(record.attestations)
        if a.protocol_id == trial.protocol.id and a.criterion_id not in known
    ]


def screen_for_trial(record: PatientRecord, trial: Trial, *, as_of: date) -> ScreeningResult:
    """Screen ``record`` against ``trial``'s criteria on the matching date ``as_of``."""
    protocol = trial.protocol
    values = protocol.parameter_values()
    rules, _ = mrd_rules_from(values)
    ctx = EvaluationContext(record, values, trial_reference_dates(record, as_of=as_of), rules)
    results = tuple(screen_criterion(record, protocol, c, ctx) for c in protocol.eligibility or [])
    return ScreeningResult(
        record.patient.study_id, protocol.id, protocol.version, as_of, _verdict(results), results
    )


def match_trial(record: PatientRecord, trial: Trial, *, as_of: date, near: Point | None = None) -> TrialMatch:
    """One trial for one child: verdict with failing and unknown criteria, biomarkers, nearest site."""
    screening = screen_for_trial(record, trial, as_of=as_of)
    biomarkers = tuple(match_biomarker(record, biomarker) for biomarker in trial.biomarkers)
    nearest = nearest_site(trial.sites, near) if near is not None else None
    warnings = [*trial.warnings, *_attestation_warnings(record, trial)]
    return TrialMatch(trial, screening, biomarkers, nearest, tuple(warnings))


def match_trials(
    record: PatientRecord, trials: Iterable[Trial], *, as_of: date, near: Point | None = None
) -> MatchReport:
    """Every trial screened for one child, ranked: eligible, needs review, not eligible.

    Within a verdict: recruiting trials first, then fewer unknown criteria, then the nearer site
    (when ``near`` is given). ``as_of`` is the matching date; ages on ``study_entry`` use it.
    """
    matches = sorted(
        (match_trial(record, trial, as_of=as_of, near=near) for trial in trials),
        key=TrialMatch.rank_key,
    )
    warnings = tuple(record_gene_warnings(record.model_dump(mode="json")))
    return MatchReport(record.patient.study_id, as_of, near, tuple(matches), warnings)
