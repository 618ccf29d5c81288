"""The current risk group of a patient: the one definition every page, export and report uses.

A patient may be enrolled under more than one protocol (a main trial and a sub-study, or a
transfer). Under each protocol the *current assignment* is the latest stored one (highest id:
assignments are appended, never edited). The patient's *current risk group* is the current
assignment under their **first enrollment** — earliest ``enrolled_on``, then lowest id — since
that is the protocol whose arm they are treated on. Enrolled without an assignment yet under
that protocol means ``pending``; not enrolled means no group (``None``).

Both are computed in SQL (window functions, available on SQLite ≥ 3.25 and PostgreSQL), so
one query serves a page of patients or the whole endpoint dataset, through the session's site
scope like every other read. The endpoint dataset selects the same statement
(:func:`current_risk_statement`), so the list, the patient page, the dashboard and the export
agree by construction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select

from remission.protocols import PENDING
from remission.store.models import Enrollment, RiskAssignment
from remission.store.session import StudySession


@dataclass(frozen=True, slots=True)
class CurrentRisk:
    """A patient's current assignment under one protocol they are enrolled in."""

    patient_id: int
    protocol_id: str
    enrolled_on: date
    #: The first enrollment's protocol: the one whose group is *the* current risk group.
    primary: bool
    risk_group: str
    arm: str | None
    provisional_track: str | None
    assignment_id: int | None


def current_risk_statement(
    *, patient_ids: Iterable[int] | None = None, as_of: date | None = None, primary_only: bool = False
) -> Select[Any]:
    """Rows ``(patient_id, protocol_id, enrolled_on, enrollment_rank, assignment_id, risk_group, arm,
    provisional_track)``.

    One row per enrollment (rank 1 = the first), with the latest assignment under its protocol
    or nulls. ``as_of`` drops enrollments after the data cut; ``primary_only`` keeps rank 1.
    """
    statement = _statement(patient_ids is not None, as_of is not None, primary_only)
    values: dict[str, Any] = {}
    if patient_ids is not None:
        values["ids"] = sorted(set(patient_ids))
    if as_of is not None:
        values["as_of"] = as_of
    return statement.params(values) if values else statement


@cache
def _statement(by_patient: bool, by_date: bool, primary_only: bool) -> Select[Any]:
    """The statement with bound parameters ``ids`` and ``as_of``, built once per shape (building it
    costs more than running it for one patient)."""
    enrollments = select(
        Enrollment.patient_id,
        Enrollment.protocol_id,
        Enrollment.enrolled_on,
        func.row_number()
        .over(partition_by=Enrollment.patient_id, order_by=(Enrollment.enrolled_on, Enrollment.id))
        .label("rank"),
    )
    assignments = select(
        RiskAssignment.patient_id,
        RiskAssignment.protocol_id,
        RiskAssignment.id,
        RiskAssignment.risk_group,
        RiskAssignment.arm,
        RiskAssignment.provisional_track,
        func.row_number()
        .over(
            partition_by=(RiskAssignment.patient_id, RiskAssignment.protocol_id),
            order_by=RiskAssignment.id.desc(),
        )
        .label("newness"),
    )
    if by_patient:
        enrollments = enrollments.where(Enrollment.patient_id.in_(bindparam("ids", expanding=True)))
        assignments = assignments.where(RiskAssignment.patient_id.in_(bindparam("ids", expanding=True)))
    if by_date:
        enrollments = enrollments.where(Enrollment.enrolled_on <= bindparam("as_of"))
    enrolled = enrollments.subquery("enrolled")
    latest = assignments.subquery("latest")
    statement = (
        select(
            enrolled.c.patient_id,
            enrolled.c.protocol_id,
            enrolled.c.enrolled_on,
            enrolled.c.rank,
            latest.c.id,
            latest.c.risk_group,
            latest.c.arm,
            latest.c.provisional_track,
        )
        .outerjoin(
            latest,
            (latest.c.patient_id == enrolled.c.patient_id)
            & (latest.c.protocol_id == enrolled.c.protocol_id)
            & (latest.c.newness == 1),
        )
        .order_by(enrolled.c.patient_id, enrolled.c.rank)
    )
    if primary_only:
        statement = statement.where(enrolled.c.rank == 1)
    return statement


def current_assignments(
    session: StudySession, *, patient_ids: Iterable[int], as_of: date | None = None
) -> dict[int, list[CurrentRisk]]:
    """Per patient, the current assignment under each protocol, first enrollment first."""
    found: dict[int, list[CurrentRisk]] = {}
    rows = session.execute(current_risk_statement(patient_ids=patient_ids, as_of=as_of))
    for patient_id, protocol_id, enrolled_on, rank, assignment_id, group, arm, track in rows:
        found.setdefault(patient_id, []).append(
            CurrentRisk(
                patient_id=patient_id,
                protocol_id=protocol_id,
                enrolled_on=enrolled_on,
                primary=rank == 1,
                risk_group=group if group is not None else PENDING,
                arm=arm,
                provisional_track=track,
                assignment_id=assignment_id,
            )
        )
    return found


def current_risk_groups(
    session: StudySession, *, patient_ids: Iterable[int], as_of: date | None = None
) -> dict[int, CurrentRisk]:
    """Per enrolled patient, the current risk group (its first enrollment's current assignment)."""
    return {
        patient_id: rows[0]
        for patient_id, rows in current_assignments(session, patient_ids=patient_ids, as_of=as_of).items()
    }
