"""Checks across the parts of a protocol: references between ids, and expressions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from remission.errors import FieldProblem
from remission.protocols.edit_checks import edit_check_problems
from remission.protocols.model import Protocol
from remission.protocols.mrd_parameters import has_mrd_parameters, mrd_rules_from
from remission.protocols.schedule_checks import schedule_problems
from remission.protocols.sdv_inputs import verification_problems
from remission.record.model import PatientRecord
from remission.rules.checks import expression_problems
from remission.rules.expressions import Expression


def _duplicates(where: str, ids: Iterable[str]) -> Iterator[FieldProblem]:
    for value, count in Counter(ids).items():
        if count > 1:
            yield FieldProblem(where, f"id {value!r} is used {count} times")


def _unknown(where: str, value: str | None, known: set[str], what: str) -> Iterator[FieldProblem]:
    if value is not None and value not in known:
        yield FieldProblem(where, f"unknown {what} {value!r}")


def _sources(protocol: Protocol) -> Iterator[FieldProblem]:
    known = {source.id for source in protocol.provenance.sources}
    yield from _duplicates("provenance.sources", (s.id for s in protocol.provenance.sources))
    for name, parameter in protocol.parameters.items():
        yield from _unknown(f"parameters.{name}.source", parameter.source, known, "source")
    for i, criterion in enumerate(protocol.eligibility or []):
        yield from _unknown(f"eligibility[{i}].source", criterion.source, known, "source")
    for i, phase in enumerate(protocol.phases):
        yield from _unknown(f"phases[{i}].source", phase.source, known, "source")
    for i, arm in enumerate(protocol.arms):
        yield from _unknown(f"arms[{i}].source", arm.source, known, "source")
    strat = protocol.stratification
    if strat is not None:
        for i, group in enumerate(strat.risk_groups):
            yield from _unknown(f"stratification.risk_groups[{i}].source", group.source, known, "source")
        for i, track in enumerate(strat.provisional_tracks):
            yield from _unknown(
                f"stratification.provisional_tracks[{i}].source", track.source, known, "source"
            )
        for t, point in enumerate(strat.time_points):
            for r, rule in enumerate(point.rules):
                yield from _unknown(
                    f"stratification.time_points[{t}].rules[{r}].source", rule.source, known, "source"
                )


def _structure(protocol: Protocol) -> Iterator[FieldProblem]:
    phases = {phase.id for phase in protocol.phases}
    arms = {arm.id for arm in protocol.arms}
    yield from _duplicates("eligibility", (c.id for c in protocol.eligibility or []))
    yield from _duplicates("phases", (p.id for p in protocol.phases))
    yield from _duplicates("arms", (a.id for a in protocol.arms))
    for i, arm in enumerate(protocol.arms):
        for j, phase in enumerate(arm.phases):
            yield from _unknown(f"arms[{i}].phases[{j}]", phase, phases, "phase")
    for i, question in enumerate(protocol.provenance.open_questions):
        yield from _unknown(
            f"provenance.open_questions[{i}].parameter",
            question.parameter,
            set(protocol.parameters),
            "parameter",
        )
    strat = protocol.stratification
    if strat is None:
        return
    groups = {group.id for group in strat.risk_groups}
    tracks = {track.id for track in strat.provisional_tracks}
    yield from _duplicates("stratification.risk_groups", (g.id for g in strat.risk_groups))
    yield from _duplicates("stratification.provisional_tracks", (t.id for t in strat.provisional_tracks))
    yield from _duplicates("stratification.time_points", (t.id for t in strat.time_points))
    for i, group in enumerate(strat.risk_groups):
        yield from _unknown(f"stratification.risk_groups[{i}].arm", group.arm, arms, "arm")
    for i, track in enumerate(strat.provisional_tracks):
        for j, group_id in enumerate(track.possible_groups):
            yield from _unknown(
                f"stratification.provisional_tracks[{i}].possible_groups[{j}]", group_id, groups, "risk group"
            )
        for j, phase in enumerate(track.phases):
            yield from _unknown(f"stratification.provisional_tracks[{i}].phases[{j}]", phase, phases, "phase")
    finals = [point for point in strat.time_points if point.assigns == "final"]
    if len(finals) != 1:
        yield FieldProblem(
            "stratification.time_points", f"needs exactly one final time point, found {len(finals)}"
        )
    for t, point in enumerate(strat.time_points):
        known, what = (groups, "risk group") if point.assigns == "final" else (tracks, "provisional track")
        for r, rule in enumerate(point.rules):
            yield from _unknown(
                f"stratification.time_points[{t}].rules[{r}].outcome", rule.outcome, known, what
            )


def _expressions(protocol: Protocol) -> Iterator[tuple[str, Expression]]:
    for i, criterion in enumerate(protocol.eligibility or []):
        if criterion.expression is not None:
            yield f"eligibility[{i}].expression", criterion.expression
    if protocol.stratification is not None:
        for t, point in enumerate(protocol.stratification.time_points):
            for r, rule in enumerate(point.rules):
                yield f"stratification.time_points[{t}].rules[{r}].when", rule.when


def protocol_problems(protocol: Protocol) -> list[FieldProblem]:
    """Every cross-reference or expression problem of ``protocol``; empty when it is sound."""
    problems = [*_sources(protocol), *_structure(protocol), *schedule_problems(protocol)]
    problems += verification_problems(protocol)
    values = protocol.parameter_values()
    sources = {source.id for source in protocol.provenance.sources}
    problems += edit_check_problems(protocol.edit_checks, values, sources)
    _, mrd_problems = mrd_rules_from(values)
    problems += [FieldProblem(f"parameters.{name}", message) for name, message in mrd_problems]
    for where, expression in _expressions(protocol):
        for message in expression_problems(
            expression, PatientRecord, values, has_mrd_rules=has_mrd_parameters(values)
        ):
            problems.append(FieldProblem(where, message))
    return problems
