"""SDV: a patient's required items and marks, marking an item verified, a site's worklist.

The store decides everything: who may mark (a monitor; 403), whether the item exists (422 naming the
field), a second mark on a verified item (409), and which site's patients and marks the caller sees
(another site's are 404). A mark resets by itself when its value changes.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request

from remission.api.deps import ActorDep, PatientId, StoreDep
from remission.api.idempotency import request_fingerprint, run_post
from remission.api.schemas.sdv import SDVMarkCreate, SDVMarkPublic
from remission.store import list_marks, read_sdv_status, sdv_worklist, verify_item

router = APIRouter(tags=["trial conduct"])
SiteCode = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


@router.get("/patients/{patient_id}/sdv")
def read_patient_sdv(patient_id: PatientId, actor: ActorDep, store: StoreDep) -> Any:
    """What the SDV plans of the patient's protocols require, each item's state (verified, reset,
    unverified, not recorded) with its mark, and every mark of the patient."""
    with store.session(actor) as session:
        status = read_sdv_status(session, patient_id=patient_id).to_dict()
        return status | {"marks": [mark.to_dict() for mark in list_marks(session, patient_id=patient_id)]}


@router.post("/patients/{patient_id}/sdv", status_code=201, response_model=SDVMarkPublic)
def mark_verified(
    patient_id: PatientId,
    body: SDVMarkCreate,
    actor: ActorDep,
    store: StoreDep,
    request: Request,
    key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Any:
    """Mark an item verified against the source (a monitor): a field, or a whole course row when
    ``field`` is left out. A reset mark is verified again; a verified one is a conflict (409)."""
    values = body.model_dump()
    return run_post(
        store,
        actor,
        key=key,
        fingerprint=request_fingerprint("POST", request.url.path, values),
        work=lambda session: verify_item(session, patient_id=patient_id, **values).to_dict(),
    )


@router.get("/sites/{site_code}/sdv")
def read_site_sdv(site_code: SiteCode, actor: ActorDep, store: StoreDep) -> Any:
    """A site's SDV worklist: per patient the caller may read, the items the plans require and their
    states, with the site's counts by state."""
    with store.session(actor) as session:
        return sdv_worklist(session, site_code=site_code).to_dict()
