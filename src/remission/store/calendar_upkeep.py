"""Keeping ``calendar_entries`` in step with what the calendars read.

The session notes the patients whose rows a flush changed and rewrites their entries before the
transaction commits (:mod:`remission.store.calendar_hooks`, with :func:`refresh_calendars`), in
the same transaction. A patient with no entries of the current protocol version (data from before
the table, or a new protocol file) is refreshed the first time a worklist reads their site
(:func:`refresh_stale`).

The entries are computed as of no particular date (``date.max``): an item's window and the date it
was done do not depend on the date it is read on, and its state on a date follows from them
(:func:`remission.conduct.standing.state_on`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import case, delete, insert, literal, select

from remission.conduct.standing import standing
from remission.protocols import load_protocol, shipped_protocol_ids
from remission.store.calendar import CALENDAR_FORMS, assessment_codes, calendars_of
from remission.store.calendar_models import CalendarEntry
from remission.store.course_rows import read_course_rows
from remission.store.models import Enrollment, Patient
from remission.store.session import StudySession


def refresh_calendars(session: StudySession, *, patient_ids: Iterable[int]) -> None:
    """Recompute the calendars of these patients (those the actor may read) and rewrite their entries.

    Derived rows, not audited: written as one statement each on the session's connection, in its
    transaction, below the ORM hooks that refuse bulk statements on audited rows.
    """
    patients = list(session.scalars(select(Patient).where(Patient.id.in_(sorted(set(patient_ids))))))
    if not patients:
        return
    ids = [patient.id for patient in patients]
    courses = read_course_rows(session, patients=patients, forms=CALENDAR_FORMS)
    codes = assessment_codes(session, patient_ids=ids)
    entries = [
        {
            "site_id": patient.site_id,
            "patient_id": patient.id,
            "protocol_id": calendar.protocol_id,
            "protocol_version": calendar.protocol_version,
            "position": position,
            "assessment": item.assessment,
            "label": item.label,
            "occurrence": item.occurrence,
            "standing": standing(item),
            "due_from": item.due_from,
            "due_until": item.due_until,
            "done_on": item.done_on,
            "missing_code": item.missing_code.value if item.missing_code else None,
        }
        for patient in patients
        for calendar in calendars_of(
            patient,
            courses[patient.id].risks,
            courses[patient.id].rows,
            codes.get(patient.id, {}),
            as_of=date.max,
        )
        for position, item in enumerate(calendar.items)
    ]
    connection = session.connection()
    connection.execute(delete(CalendarEntry).where(CalendarEntry.patient_id.in_(ids)))
    if entries:
        connection.execute(insert(CalendarEntry), entries)


def _current_version() -> Any:
    """The version of each shipped protocol that has a schedule, as an SQL expression of the protocol id."""
    versions = {
        pid: load_protocol(pid).version for pid in shipped_protocol_ids() if load_protocol(pid).schedule
    }
    if not versions:
        return literal(None)
    return case({pid: literal(version) for pid, version in versions.items()}, value=Enrollment.protocol_id)


def refresh_stale(session: StudySession, *, site_id: int | None = None) -> int:
    """Refresh the patients (of one site, or every site the actor reads) enrolled in a protocol with a
    schedule whose entries are missing or of another protocol version; returns how many."""
    version = _current_version()
    current = (
        select(CalendarEntry.id)
        .where(
            CalendarEntry.patient_id == Enrollment.patient_id,
            CalendarEntry.protocol_id == Enrollment.protocol_id,
            CalendarEntry.protocol_version == version,
        )
        .exists()
    )
    statement = (
        select(Enrollment.patient_id)
        .join(Patient, Patient.id == Enrollment.patient_id)
        .where(version.is_not(None), ~current)
        .distinct()
    )
    if site_id is not None:
        statement = statement.where(Patient.site_id == site_id)
    stale = list(session.scalars(statement))
    refresh_calendars(session, patient_ids=stale)
    return len(stale)
