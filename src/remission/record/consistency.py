"""Checks across fields of a record: date order and dates in the future.

Each problem names the field by its dotted path so that a user can find it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import date

from pydantic import BaseModel

from remission.errors import FieldProblem
from remission.record.model import PatientRecord

# A planned study entry may lie ahead; every other date records something that happened.
_MAY_BE_PLANNED = frozenset({"study_entry_date"})


def _dates(node: object, path: str) -> Iterator[tuple[str, date]]:
    if isinstance(node, date):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _dates(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, list | tuple):
        for index, item in enumerate(node):
            yield from _dates(item, f"{path}[{index}]")


def _periods(record: PatientRecord) -> Iterator[tuple[str, date, date | None]]:
    for name in ("prior_steroids", "other_studies", "treatment_phases"):
        for index, item in enumerate(getattr(record, name) or []):
            yield f"{name}[{index}]", item.start_date, item.end_date


def date_problems(
    dates: Iterable[tuple[str, date]],
    *,
    born: date | None,
    today: date,
    may_be_planned: Collection[str] = (),
) -> list[FieldProblem]:
    """The problems of recorded dates, each named by its path: a date after ``today`` (unless
    its path is in ``may_be_planned``) or before the date of birth ``born``.

    The one rule for "a recorded date happened, and happened in the child's life": the record's
    checks below and the store's checks of course rows (adverse events, MRD, ...) both use it.
    """
    problems: list[FieldProblem] = []
    for path, value in dates:
        if value > today and path not in may_be_planned:
            problems.append(FieldProblem(path, f"{value} is in the future (today is {today})"))
        if born is not None and path != "patient.date_of_birth" and value < born:
            problems.append(FieldProblem(path, f"{value} is before patient.date_of_birth {born}"))
    return problems


def consistency_problems(record: PatientRecord, *, today: date) -> list[FieldProblem]:
    """Return every cross-field problem of ``record``; empty when it is consistent.

    ``today`` is the date after which no recorded date may fall.
    """
    born = record.patient.date_of_birth
    problems = date_problems(_dates(record, ""), born=born, today=today, may_be_planned=_MAY_BE_PLANNED)
    for path, start, end in _periods(record):
        if end is not None and end < start:
            problems.append(FieldProblem(f"{path}.end_date", f"{end} is before start_date {start}"))
    return problems
