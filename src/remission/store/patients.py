"""Patients and their direct identifiers, always read through the actor's site scope."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from remission.errors import FieldProblem, InputError
from remission.record.parse import parse_record
from remission.store.audit import record_event
from remission.store.course_kinds import BASELINE_FIELDS
from remission.store.errors import NotFound, Refused
from remission.store.models import Patient, PatientIdentifiers, Site
from remission.store.risk import restratify
from remission.store.session import StudySession
from remission.store.versioning import flush_or_conflict, require_version
from remission.store.vocabulary import AuditAction


def check_baseline(
    study_id: str, sex: str | None, born: date | None, baseline: dict[str, Any], *, today: date
) -> dict[str, Any]:
    """Validate a baseline with the record model; return it as JSON. Raises InputError."""
    unknown = sorted(set(baseline) - set(BASELINE_FIELDS))
    if unknown:
        raise InputError(
            "patient", [FieldProblem(f"baseline.{name}", "not a baseline field") for name in unknown]
        )
    data = {
        "patient": {"study_id": study_id, "sex": sex, "date_of_birth": born and born.isoformat()},
        **baseline,
    }
    record = parse_record(data, today=today, source="patient")
    return record.model_dump(mode="json", include=set(BASELINE_FIELDS), exclude_none=True)


def get_patient(session: StudySession, *, patient_id: int) -> Patient:
    """The patient with ``patient_id``; another site's patient is :class:`NotFound` like a missing one."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("patient", patient_id)
    return patient


def find_patient(session: StudySession, *, study_id: str) -> Patient | None:
    """The patient with ``study_id`` among those the actor may read, or ``None``."""
    return session.scalar(select(Patient).where(Patient.study_id == study_id))


def study_ids(session: StudySession, *, prefix: str = "") -> set[str]:
    """The study ids the actor may read that start with ``prefix``."""
    query = select(Patient.study_id)
    if prefix:
        query = query.where(Patient.study_id.startswith(prefix, autoescape=True))
    return set(session.scalars(query))


def list_patients(
    session: StudySession,
    *,
    site_code: str | None = None,
    search: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> list[Patient]:
    """Patients the actor may read, by id; ``limit=None`` gives all of them."""
    query = select(Patient).order_by(Patient.id).limit(limit).offset(offset)
    if site_code is not None:
        query = query.join(Site, Site.id == Patient.site_id).where(Site.code == site_code)
    if search:
        query = query.where(func.lower(Patient.study_id).contains(search.lower()))
    return list(session.scalars(query))


def _study_id_taken(session: StudySession, study_id: str) -> bool:
    """Whether any site holds ``study_id``. Read on the connection, below the session's site
    criteria, on purpose: the unique constraint would refuse the id anyway, and this way the
    refusal is the same (and reads one yes or no) instead of a different error for another site."""
    patients = Patient.__table__
    query = select(func.count()).select_from(patients).where(patients.c.study_id == study_id)
    return bool(session.connection().execute(query).scalar())


def register_patient(
    session: StudySession,
    *,
    study_id: str,
    site_id: int,
    sex: str | None,
    date_of_birth: date | None,
    baseline: dict[str, Any],
    identifiers: dict[str, Any] | None,
    today: date,
) -> Patient:
    """Create a patient (and, separately, their identifiers) at ``site_id``.

    A study id is unique in the whole study. A taken one is refused with the same answer
    whichever site holds it, so the answer never says that another site has the id.
    """
    if _study_id_taken(session, study_id):
        raise Refused("study_id", f"study id {study_id!r} is taken")
    clean = check_baseline(study_id, sex, date_of_birth, baseline, today=today)
    patient = Patient(
        study_id=study_id, site_id=site_id, sex=sex, date_of_birth=date_of_birth, baseline=clean
    )
    session.add(patient)
    session.flush()
    if identifiers:
        session.add(PatientIdentifiers(patient_id=patient.id, site_id=site_id, **identifiers))
        session.flush()
    return patient


def update_patient(
    session: StudySession, *, patient_id: int, version: int, changes: dict[str, Any], today: date
) -> Patient:
    """Change sex, date of birth or baseline sections (merged into the stored ones) at ``version``.

    The whole baseline is checked with the record model before anything is written (InputError
    naming each field); a change re-runs risk stratification in the same transaction, since the
    risk rules read the baseline (KMT2A status, WBC, age, prednisone response).
    """
    patient = get_patient(session, patient_id=patient_id)
    require_version(patient, version)
    sex = changes.get("sex", patient.sex)
    born = changes.get("date_of_birth", patient.date_of_birth)
    sections = changes.get("baseline", {})
    if not isinstance(sections, dict):
        raise Refused("baseline", "give the baseline sections to change as an object, not null")
    baseline = {**patient.baseline, **sections}
    clean = check_baseline(patient.study_id, sex and str(sex), born, baseline, today=today)
    changed = (patient.sex, patient.date_of_birth, patient.baseline) != (sex, born, clean)
    patient.sex, patient.date_of_birth, patient.baseline = sex, born, clean
    flush_or_conflict(session, patient)
    if changed:
        restratify(session, patient)
    return patient


def read_identifiers(session: StudySession, *, patient_id: int) -> PatientIdentifiers:
    """The patient's direct identifiers; the read is written to the audit trail."""
    patient = get_patient(session, patient_id=patient_id)
    identifiers = session.scalar(
        select(PatientIdentifiers).where(PatientIdentifiers.patient_id == patient.id)
    )
    if identifiers is None:
        raise NotFound("identifiers of patient", patient_id)
    record_event(
        session, AuditAction.READ_IDENTIFIERS, "patient_identifiers", identifiers.id, patient.site_id
    )
    return identifiers
