"""Checks of a protocol's schedule of assessments against the rest of the file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from remission.errors import FieldProblem
from remission.protocols.model import Protocol
from remission.protocols.schedule import Assessment, CourseForm
from remission.rules.expressions import ParamRef


def _days(where: str, value: Any, protocol: Protocol) -> Iterator[FieldProblem]:
    """A number of days is whole and not negative, written or read from a parameter."""
    if not isinstance(value, ParamRef):
        return
    parameter = protocol.parameters.get(value.param)
    if parameter is None:
        yield FieldProblem(where, f"unknown parameter {value.param!r}")
    elif isinstance(parameter.value, bool) or not isinstance(parameter.value, int) or parameter.value < 0:
        yield FieldProblem(
            where, f"parameter {value.param!r} must be a whole number ≥ 0, not {parameter.value!r}"
        )


def _assessment(
    where: str, item: Assessment, protocol: Protocol, sources: set[str]
) -> Iterator[FieldProblem]:
    phases = {phase.id for phase in protocol.phases}
    if item.source not in sources:
        yield FieldProblem(f"{where}.source", f"unknown source {item.source!r}")
    for j, phase in enumerate(item.anchor.phases or []):
        if phase not in phases:
            yield FieldProblem(f"{where}.anchor.phases[{j}]", f"unknown phase {phase!r}")
    if (item.anchor.phases is not None or item.anchor.each_phase is not None) and not protocol.arms:
        yield FieldProblem(f"{where}.anchor", "a phase anchor needs the protocol's arms and phases")
    if item.collects.time_point is not None and item.collects.form is not CourseForm.MRD:
        yield FieldProblem(f"{where}.collects.time_point", "only an MRD assessment names a time point")
    for name in ("before_days", "after_days"):
        yield from _days(f"{where}.window.{name}", getattr(item.window, name), protocol)
    yield from _days(f"{where}.anchor.days_after", item.anchor.days_after, protocol)
    if item.repeat is not None:
        yield from _days(f"{where}.repeat.every_days", item.repeat.every_days, protocol)
        yield from _days(f"{where}.repeat.times", item.repeat.times, protocol)


def schedule_problems(protocol: Protocol) -> list[FieldProblem]:
    """Every problem of the schedule: repeated ids, unknown phases, parameters and sources."""
    sources = {source.id for source in protocol.provenance.sources}
    problems = [
        FieldProblem("schedule", f"id {value!r} is used {count} times")
        for value, count in Counter(item.id for item in protocol.schedule).items()
        if count > 1
    ]
    for i, item in enumerate(protocol.schedule):
        problems.extend(_assessment(f"schedule[{i}]", item, protocol, sources))
    return problems
