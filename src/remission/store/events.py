"""Create, read, update and delete a patient's course rows, with optimistic locking.

Every row is found through the actor's site scope, so another site's ids are simply
not found. Changes to MRD results re-run risk stratification.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select

from remission.store.base import PatientOwned
from remission.store.errors import NotFound
from remission.store.models import MRDMeasurement
from remission.store.patients import get_patient
from remission.store.risk import restratify
from remission.store.session import StudySession
from remission.store.versioning import flush_or_conflict, require_version

Row = TypeVar("Row", bound=PatientOwned)

#: Row types whose changes can change a risk group.
_STRATIFYING = (MRDMeasurement,)


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


def create_row(session: StudySession, *, model: type[Row], patient_id: int, values: dict[str, Any]) -> Row:
    """A new row of the patient at the patient's site; an MRD row re-runs stratification."""
    patient = get_patient(session, patient_id=patient_id)
    row = model(patient_id=patient.id, site_id=patient.site_id, **values)
    session.add(row)
    session.flush()
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
) -> Row:
    row = _current(session, model, patient_id, row_id, version)
    for name, value in values.items():
        setattr(row, name, value)
    flush_or_conflict(session, row)
    _after_change(session, model, patient_id)
    return row


def delete_row(
    session: StudySession, *, model: type[Row], patient_id: int, row_id: int, version: int
) -> None:
    row = _current(session, model, patient_id, row_id, version)
    session.delete(row)
    flush_or_conflict(session, row)
    _after_change(session, model, patient_id)
