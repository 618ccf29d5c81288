"""Electronic signatures: sign units (in bulk), read a patient's signatures and what the casebook still
needs, and the signatures invalidated by later changes. The store checks signer roles, the password
(§11.200) and sites (another site's patient is a 404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from remission import store as study_store
from remission.api.deps import ActorDep, PatientId, SettingsDep, StoreDep, client_address
from remission.api.schemas.signatures import RequiredSignaturePublic, SignaturePublic, SignRequest

router = APIRouter(tags=["signatures"])


@router.post("/signatures", response_model=list[SignaturePublic], status_code=201)
def sign(
    body: SignRequest, request: Request, actor: ActorDep, store: StoreDep, settings: SettingsDep
) -> list[SignaturePublic]:
    """Sign every unit listed with one meaning; all or none. A wrong password is a 422 naming it; it
    counts against the sign-in throttle, and while the account or address is locked the answer is
    429 with ``Retry-After``, as at sign-in."""
    with store.session(actor) as session:
        signed = study_store.sign_units(
            session,
            units=[study_store.UnitRef(unit.patient_id, unit.unit, unit.row_id) for unit in body.units],
            meaning=body.meaning,
            username=body.username,
            password=body.password,
            signing_session=getattr(request.state, "api_session_id", None),
            address=client_address(request),
            policy=settings.sign_in,
        )
        return [SignaturePublic.model_validate(signature) for signature in signed]


@router.get("/patients/{patient_id}/signatures", response_model=list[SignaturePublic])
def patient_signatures(patient_id: PatientId, actor: ActorDep, store: StoreDep) -> list[SignaturePublic]:
    """Every signature of the patient, oldest first; invalidated ones say why."""
    with store.session(actor) as session:
        found = study_store.list_signatures(session, patient_id=patient_id)
        return [SignaturePublic.model_validate(signature) for signature in found]


@router.get("/patients/{patient_id}/signatures/required", response_model=list[RequiredSignaturePublic])
def required(patient_id: PatientId, actor: ActorDep, store: StoreDep) -> list[RequiredSignaturePublic]:
    """The signatures the patient's protocols require before the casebook is locked, and their state."""
    with store.session(actor) as session:
        patient = study_store.get_patient(session, patient_id=patient_id)
        return [
            RequiredSignaturePublic.model_validate(status)
            for status in study_store.required_signatures(session, patient=patient)
        ]


@router.get("/signatures/invalidated", response_model=list[SignaturePublic])
def invalidated(
    actor: ActorDep,
    store: StoreDep,
    site: Annotated[str | None, Query(min_length=1, max_length=64, description="A site code.")] = None,
) -> list[SignaturePublic]:
    """Signatures invalidated by a later change and not yet signed again: re-signature needed."""
    with store.session(actor) as session:
        found = study_store.signatures_to_renew(session, site_code=site)
        return [SignaturePublic.model_validate(signature) for signature in found]
