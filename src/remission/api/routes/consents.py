"""Consent form versions of a study, who must re-consent, and the consent actions due.

The store decides everything: who may register, approve or retire a version (administrators and
data managers; 403 otherwise), whether a consent's version was valid on its date (422 naming
``form_version``), which patients the caller sees (another site's are left out, or 404).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request

from remission.api.deps import ActorDep, PatientId, StoreDep
from remission.api.idempotency import request_fingerprint, run_post
from remission.api.schemas.consents import (
    ConsentActionPublic,
    ConsentVersionCreate,
    ConsentVersionPublic,
    ConsentVersionUpdate,
    ReconsentLinePublic,
)
from remission.store import (
    MAX_ID,
    add_consent_version,
    list_consent_versions,
    patient_consent_actions,
    reconsent_list,
    site_consent_actions,
    update_consent_version,
)

router = APIRouter(tags=["consent"])
VersionId = Annotated[int, Path(ge=1, le=MAX_ID, description="Consent form version id.")]
AsOf = Annotated[date | None, Query(description="Date YYYY-MM-DD (default today).")]
SiteCode = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


@router.get("/consent-versions", response_model=list[ConsentVersionPublic])
def read_consent_versions(
    actor: ActorDep,
    store: StoreDep,
    protocol: Annotated[str | None, Query(max_length=64, description="Only this study's versions.")] = None,
) -> Any:
    """The registered consent form versions, by study, kind and approval (every signed-in user)."""
    with store.session(actor) as session:
        return [v.to_dict() for v in list_consent_versions(session, protocol_id=protocol)]


@router.post("/consent-versions", status_code=201, response_model=ConsentVersionPublic)
def register_consent_version(
    body: ConsentVersionCreate,
    actor: ActorDep,
    store: StoreDep,
    request: Request,
    key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Any:
    """Register a version of a study's consent form, approved (with the committee) or awaiting approval."""
    values = body.model_dump()
    return run_post(
        store,
        actor,
        key=key,
        fingerprint=request_fingerprint("POST", request.url.path, values),
        work=lambda session: add_consent_version(session, **values).to_dict(),
    )


@router.patch("/consent-versions/{version_id}", response_model=ConsentVersionPublic)
def change_consent_version(
    version_id: VersionId, body: ConsentVersionUpdate, actor: ActorDep, store: StoreDep
) -> Any:
    """Approve, retire or annotate a version read at ``version``, with a reason (audited)."""
    values = body.model_dump(exclude_unset=True, exclude={"version", "reason"})
    with store.session(actor, reason=body.reason) as session:
        row = update_consent_version(session, version_id=version_id, version=body.version, values=values)
        return row.to_dict()


@router.get("/consent-versions/{version_id}/reconsent", response_model=list[ReconsentLinePublic])
def read_reconsent_list(version_id: VersionId, actor: ActorDep, store: StoreDep) -> Any:
    """The enrolled patients (of the sites the caller reads) whose latest consent of the version's
    kind is on an older version: they must consent again on this one."""
    with store.session(actor) as session:
        return [line.to_dict() for line in reconsent_list(session, version_id=version_id)]


@router.get("/patients/{patient_id}/consent-actions", response_model=list[ConsentActionPublic])
def read_patient_consent_actions(
    patient_id: PatientId, actor: ActorDep, store: StoreDep, as_of: AsOf = None
) -> Any:
    """Per study the patient is enrolled in: parental permission, assent and own consent at majority —
    due, done, not yet, unknown (no age parameter or no date of birth) or not applicable."""
    with store.session(actor) as session:
        return [
            line.to_dict()
            for line in patient_consent_actions(session, patient_id=patient_id, as_of=as_of or date.today())
        ]


@router.get("/sites/{site_code}/consent-actions", response_model=list[ConsentActionPublic])
def read_site_consent_actions(
    site_code: SiteCode, actor: ActorDep, store: StoreDep, as_of: AsOf = None
) -> Any:
    """The consent actions due at a site (its patients the caller may read)."""
    with store.session(actor) as session:
        return [
            line.to_dict()
            for line in site_consent_actions(session, site_code=site_code, as_of=as_of or date.today())
        ]
