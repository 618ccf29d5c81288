"""Create, read, update and delete a patient's course rows, with optimistic locking.

Every row is found through the actor's site scope, so another site's ids are simply
not found. Changes to MRD results re-run risk stratification.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import inspect, select

from remission.errors import InputError
from remission.record.consistency import date_problems
from remission.store.base import PatientOwned
from remission.store.check_queries import follow_up_write
from remission.store.edit_checks import check_written_row
from remission.store.errors import NotFound
from remission.store.models import MRDMeasurement, Patient
from remission.store.patients import get_patient
from remission.store.risk import restratify
from remission.store.session import StudySession
from remission.store.versioning import flush_or_conflict, require_version

Row = TypeVar("Row", bound=PatientOwned)

#: Row types whose changes can change a risk group.
_STRATIFYING = (MRDMeasurement,)
#: Dates of course rows that may lie ahead (a plan); every other date records what happened.
_MAY_BE_PLANNED = frozenset({"planned_start", "planned_end"})


def _check_dates(row: PatientOwned, patient: Patient, today: date | None) -> None:
    """Refuse a row whose recorded dates fall after today or before the child's birth.

    The same rule as the record's (:func:`remission.record.consistency.date_problems`), here so
    that the API, the web forms, the demo loader and any later caller are held to it. Raises
    :class:`InputError` with one problem per date field, named by the column.
    """
    dates = [
        (attribute.key, value)
        for attribute in inspect(type(row)).column_attrs
        # created_at is a datetime (a date too), stamped by the store, not recorded by a person
        if isinstance(value := getattr(row, attribute.key), date) and not isinstance(value, datetime)
    ]
    problems = date_problems(
        dates, born=patient.date_of_birth, today=today or date.today(), may_be_planned=_MAY_BE_PLANNED
    )
    if problems:
        raise InputError(type(row).__tablename__, problems)


def _after_change(session: StudySession, model: type, patient_id: int) -> None:
    if issubclass(model, _STRATIFYING):
        restratify(session, get_patient(session, patient_id=patient_id))


def list_rows(session: StudySession, *, model: type[Row], patient_id: int) -> list[Row]:
    """The patient's rows of ``model`` in entry order."""
    get_patient(session, patient_id=patient_id)
    return list(session.scalars(select(model).where(model.patient_id == patient_id).order_by(model.id)))


def get_row(session: StudySession, *, model: type[Row], patient_id: int, row_id: int) -> Row:
    """One row of the patient; another patient's or site's row is :class:`NotFound`."""
    row = session.get(model, row_id)
    if row is None or row.patient_id != patient_id:
        raise NotFound(model.__tablename__, row_id)
    return row


def create_row(
    session: StudySession,
    *,
    model: type[Row],
    patient_id: int,
    values: dict[str, Any],
    today: date | None = None,
) -> Row:
    """A new row of the patient at the patient's site; an MRD row re-runs stratification.

    A date after ``today`` (default: the server's date) or before the child's birth is refused
    (:class:`InputError` naming the field); planned dates of a treatment phase may lie ahead.
    The edit checks of the protocols the patient is enrolled in run on the row: a fired hard
    check refuses it the same way (:func:`remission.store.edit_checks.check_written_row`); a fired
    soft check opens a data query on the row's field, and a check that passes again notes its open
    queries as satisfied (:func:`remission.store.check_queries.follow_up_write`).
    """
    patient = get_patient(session, patient_id=patient_id)
    row = model(patient_id=patient.id, site_id=patient.site_id, **values)
    _check_dates(row, patient, today)
    results = check_written_row(session, row=row, patient=patient, today=today)
    session.add(row)
    session.flush()
    follow_up_write(session, row=row, results=results, created=True)
    _after_change(session, model, patient_id)
    return row


def _current(session: StudySession, model: type[Row], patient_id: int, row_id: int, version: int) -> Row:
    row = get_row(session, model=model, patient_id=patient_id, row_id=row_id)
    require_version(row, version)
    return row


def update_row(
    session: StudySession,
    *,
    model: type[Row],
    patient_id: int,
    row_id: int,
    version: int,
    values: dict[str, Any],
    today: date | None = None,
) -> Row:
    """Change a row read at ``version``; its dates and edit checks run as in :func:`create_row`."""
    row = _current(session, model, patient_id, row_id, version)
    patient = get_patient(session, patient_id=patient_id)
    for name, value in values.items():
        setattr(row, name, value)
    _check_dates(row, patient, today)
    results = check_written_row(session, row=row, patient=patient, today=today)
    flush_or_conflict(session, row)
    follow_up_write(session, row=row, results=results, created=False)
    _after_change(session, model, patient_id)
    return row


def delete_row(
    session: StudySession, *, model: type[Row], patient_id: int, row_id: int, version: int
) -> None:
    row = _current(session, model, patient_id, row_id, version)
    session.delete(row)
    flush_or_conflict(session, row)
    _after_change(session, model, patient_id)
