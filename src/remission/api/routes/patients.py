"""Patients, their identifiers, enrollment and risk assignments."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel

from remission import store as study_store
from remission.api.deps import ActorDep, PatientId, StoreDep
from remission.api.idempotency import request_fingerprint, run_post
from remission.api.schemas.patients import (
    EnrollmentCreate,
    EnrollmentPublic,
    IdentifiersPublic,
    PatientCreate,
    PatientPublic,
    PatientUpdate,
    RiskAssignmentPublic,
)
from remission.store import (
    MAX_ID,
    Refused,
    StudySession,
    disclosed,
    disclosed_patient,
    enroll_patient,
    exposure,
    site_by_code,
)

router = APIRouter(tags=["patients"])
Schema = TypeVar("Schema", bound=BaseModel)
IdempotencyHeader = Annotated[str | None, Header(alias="Idempotency-Key")]


def _public(session: StudySession, schema: type[Schema], row: Any) -> Schema:
    """``schema`` of a stored row of one patient, as the session's actor may see it."""
    fields = {name: getattr(row, name) for name in schema.model_fields}
    patient = study_store.get_patient(session, patient_id=row.patient_id)
    return schema.model_validate(disclosed(session, patient, fields))


def _site_for_new_patient(session: StudySession, requested: str | None) -> int:
    actor = session.actor
    if requested is not None:
        return site_by_code(session, code=requested).id
    own = sorted(actor.site_roles)
    if len(own) != 1:
        raise Refused("site", "give the site code of the new patient")
    return own[0]


@router.get("/patients", response_model=list[PatientPublic])
def list_patients(
    actor: ActorDep,
    store: StoreDep,
    site: str | None = None,
    search: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Any:
    with store.session(actor) as session:
        rows = study_store.list_patients(session, site_code=site, search=search, limit=limit, offset=offset)
        return [PatientPublic.model_validate(disclosed_patient(session, row)) for row in rows]


@router.post("/patients", status_code=201, response_model=PatientPublic)
def create_patient(
    body: PatientCreate, actor: ActorDep, store: StoreDep, request: Request, key: IdempotencyHeader = None
) -> Any:
    def work(session: StudySession) -> PatientPublic:
        patient = study_store.register_patient(
            session,
            study_id=body.study_id,
            site_id=_site_for_new_patient(session, body.site),
            sex=body.sex,
            date_of_birth=body.date_of_birth,
            baseline=body.baseline,
            identifiers=body.identifiers.model_dump() if body.identifiers else None,
            today=date.today(),
        )
        return PatientPublic.model_validate(disclosed_patient(session, patient))

    fingerprint = request_fingerprint("POST", request.url.path, body.model_dump(mode="json"))
    return run_post(store, actor, key=key, fingerprint=fingerprint, work=work)


@router.get("/patients/{patient_id}", response_model=PatientPublic)
def read_patient(patient_id: PatientId, actor: ActorDep, store: StoreDep) -> Any:
    with store.session(actor) as session:
        return PatientPublic.model_validate(
            disclosed_patient(session, study_store.get_patient(session, patient_id=patient_id))
        )


@router.patch("/patients/{patient_id}", response_model=PatientPublic)
def update_patient(patient_id: PatientId, body: PatientUpdate, actor: ActorDep, store: StoreDep) -> Any:
    changes = body.model_dump(exclude_unset=True, exclude={"version", "reason"})
    with store.session(actor, reason=body.reason) as session:
        patient = study_store.update_patient(
            session, patient_id=patient_id, version=body.version, changes=changes, today=date.today()
        )
        return PatientPublic.model_validate(disclosed_patient(session, patient))


@router.get("/patients/{patient_id}/identifiers", response_model=IdentifiersPublic)
def read_identifiers(patient_id: PatientId, actor: ActorDep, store: StoreDep) -> Any:
    """Direct identifiers, for roles of the patient's own site only; every read is audited."""
    with store.session(actor) as session:
        return IdentifiersPublic.model_validate(study_store.read_identifiers(session, patient_id=patient_id))


@router.get("/patients/{patient_id}/record")
def read_record(patient_id: PatientId, actor: ActorDep, store: StoreDep) -> Any:
    """The record the decision engines read, assembled from the stored rows."""
    with store.session(actor) as session:
        record = study_store.read_record(session, patient_id=patient_id)
        patient = study_store.get_patient(session, patient_id=patient_id)
        return disclosed(session, patient, record.model_dump(mode="json", exclude_none=True))


@router.get("/patients/{patient_id}/enrollments", response_model=list[EnrollmentPublic])
def list_enrollments(patient_id: PatientId, actor: ActorDep, store: StoreDep) -> Any:
    with store.session(actor) as session:
        rows = study_store.list_enrollments(session, patient_id=patient_id)
        return [_public(session, EnrollmentPublic, row) for row in rows]


@router.post("/patients/{patient_id}/enrollments", status_code=201, response_model=EnrollmentPublic)
def enroll(
    patient_id: PatientId,
    body: EnrollmentCreate,
    actor: ActorDep,
    store: StoreDep,
    request: Request,
    key: IdempotencyHeader = None,
) -> Any:
    """Enroll after screening. *Not eligible* is refused (422, with the screening);
    *needs review* is refused until each unknown is attested by a named person."""

    def work(session: StudySession) -> EnrollmentPublic:
        enrollment = enroll_patient(
            session,
            patient_id=patient_id,
            protocol_id=body.protocol_id,
            enrolled_on=body.enrolled_on,
            attestations=body.attestations,
        )
        return _public(session, EnrollmentPublic, enrollment)

    fingerprint = request_fingerprint("POST", request.url.path, body.model_dump(mode="json"))
    return run_post(store, actor, key=key, fingerprint=fingerprint, work=work)


@router.get("/patients/{patient_id}/risk-assignments", response_model=list[RiskAssignmentPublic])
def list_risk_assignments(patient_id: PatientId, actor: ActorDep, store: StoreDep) -> Any:
    with store.session(actor) as session:
        rows = study_store.list_risk_assignments(session, patient_id=patient_id)
        return [_public(session, RiskAssignmentPublic, row) for row in rows]


@router.get("/patients/{patient_id}/anthracycline-exposure")
def read_anthracycline_exposure(patient_id: PatientId, actor: ActorDep, store: StoreDep) -> Any:
    """Doses with their doxorubicin equivalents and the running total (mg/m²); the total is
    null from the first dose of a drug without an agreed conversion factor."""
    with store.session(actor) as session:
        return exposure(session, patient_id=patient_id)
