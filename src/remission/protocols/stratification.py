"""Risk stratification per time point: pending until its data exist, then a group and an arm."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from remission.errors import FieldProblem, InputError
from remission.protocols.model import Protocol, Stratification, TimePoint
from remission.protocols.mrd_parameters import mrd_rules_from
from remission.protocols.results import RuleTrace, StratificationResult, TimePointResult
from remission.record.model import PatientRecord
from remission.rules.evaluation import EvaluationContext, evaluate, reference_dates
from remission.rules.truth import Truth

PENDING = "pending"
UNCLASSIFIED = "unclassified"


def decide_time_point(point: TimePoint, ctx: EvaluationContext) -> TimePointResult:
    """Read the rules in order: the first met rule decides unless an earlier one is unknown.

    Every rule is evaluated so that the trace shows all of them.
    """
    traces = tuple(RuleTrace(point.id, rule.outcome, evaluate(rule.when, ctx)) for rule in point.rules)
    outcome, missing = UNCLASSIFIED, []
    for trace in traces:
        if trace.evaluation.truth is Truth.UNKNOWN:
            outcome = PENDING
            missing = [
                p for t in traces if t.evaluation.truth is Truth.UNKNOWN for p in t.evaluation.all_missing()
            ]
            break
        if trace.evaluation.truth is Truth.MET:
            outcome = trace.outcome
            break
    return TimePointResult(
        point.id, point.label, point.assigns, outcome, tuple(dict.fromkeys(missing)), traces
    )


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
    points = tuple(decide_time_point(point, ctx) for point in strat.time_points)
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
