"""The patient list: one page of the patients the viewer may read, with search and status.

A patient's status is the furthest milestone recorded: *died*, else *relapsed*, else
*enrolled*, else *registered*. Filters are SQL conditions, so a page costs a fixed number of
queries whatever the size of the study; the session's site scope applies to each of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select

from remission.store.current_risk import current_risk_groups
from remission.store.models import Death, Enrollment, Patient, Relapse, Site
from remission.store.session import StudySession

STATUSES = ("registered", "enrolled", "relapsed", "died")
PER_PAGE = 50


@dataclass(frozen=True, slots=True)
class PatientRow:
    """One line of the list."""

    id: int
    study_id: str
    site: str
    sex: str | None
    diagnosed: date | None
    born: date | None
    status: str
    protocol: str | None
    risk_group: str | None


def _status_condition(status: str) -> ColumnElement[bool] | None:
    died = Patient.id.in_(select(Death.patient_id))
    relapsed = Patient.id.in_(select(Relapse.patient_id))
    enrolled = Patient.id.in_(select(Enrollment.patient_id))
    conditions = {
        "died": died,
        "relapsed": and_(relapsed, ~died),
        "enrolled": and_(enrolled, ~relapsed, ~died),
        "registered": and_(~enrolled, ~relapsed, ~died),
    }
    return conditions.get(status)


def diagnosis_date(baseline: dict[str, Any]) -> date | None:
    """The date of diagnosis in a stored baseline, or None."""
    text = (baseline.get("diagnosis") or {}).get("date")
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def patient_page(
    session: StudySession, *, search: str = "", status: str = "", site: str = "", page: int = 1
) -> tuple[list[PatientRow], int]:
    """The rows of page ``page`` (1-based, :data:`PER_PAGE` a page) and the number of matching patients.

    ``risk_group`` is the current risk group (:mod:`remission.store.current_risk`).
    """
    query = select(Patient)
    if search:
        query = query.where(func.lower(Patient.study_id).contains(search.lower(), autoescape=True))
    condition = _status_condition(status)
    if condition is not None:
        query = query.where(condition)
    if site:
        query = query.where(Patient.site_id.in_(select(Site.id).where(Site.code == site)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    patients = list(
        session.scalars(query.order_by(Patient.study_id).limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    )
    ids = [p.id for p in patients]
    sites = {s.id: s.code for s in session.scalars(select(Site))}
    died = set(session.scalars(select(Death.patient_id).where(Death.patient_id.in_(ids))))
    relapsed = set(session.scalars(select(Relapse.patient_id).where(Relapse.patient_id.in_(ids))))
    enrolled = set(session.scalars(select(Enrollment.patient_id).where(Enrollment.patient_id.in_(ids))))
    current = current_risk_groups(session, patient_ids=ids)
    rows = []
    for patient in patients:
        state = (
            "died"
            if patient.id in died
            else "relapsed"
            if patient.id in relapsed
            else "enrolled"
            if patient.id in enrolled
            else "registered"
        )
        risk = current.get(patient.id)
        rows.append(
            PatientRow(
                id=patient.id,
                study_id=patient.study_id,
                site=sites.get(patient.site_id, "?"),
                sex=patient.sex.value if patient.sex else None,
                diagnosed=diagnosis_date(patient.baseline),
                born=patient.date_of_birth,
                status=state,
                protocol=risk.protocol_id if risk else None,
                risk_group=risk.risk_group if risk else None,
            )
        )
    return rows, total
