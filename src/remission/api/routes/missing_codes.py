"""A patient's missing-data codes: list, record and clear (why an item has no value).

The store decides everything: whether the item exists (422 naming the field), whether the field
holds a value (409 naming it: clear the value first), who may record (whoever may write the
patient's clinical data; 403) and which site's codes the caller sees (another site's are 404).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response

from remission.api.deps import ActorDep, PatientId, StoreDep
from remission.api.idempotency import request_fingerprint, run_post
from remission.api.schemas.missing_codes import MissingCodeCreate, MissingCodePublic
from remission.store import MAX_ID, clear_missing_code, list_missing_codes, set_missing_code

router = APIRouter(tags=["trial conduct"])
CodeId = Annotated[int, Path(ge=1, le=MAX_ID, description="Missing-data code id.")]


@router.get("/patients/{patient_id}/missing-codes", response_model=list[MissingCodePublic])
def read_missing_codes(patient_id: PatientId, actor: ActorDep, store: StoreDep) -> Any:
    """The patient's missing-data codes in entry order."""
    with store.session(actor) as session:
        return [row.to_dict() for row in list_missing_codes(session, patient_id=patient_id)]


@router.post("/patients/{patient_id}/missing-codes", status_code=201, response_model=MissingCodePublic)
def record_missing_code(
    patient_id: PatientId,
    body: MissingCodeCreate,
    actor: ActorDep,
    store: StoreDep,
    request: Request,
    key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Any:
    """Record why an item has no value: *not done*, *not applicable*, *unknown*, *not asked* or
    *asked but declined*. A field that holds a value is refused (409); a value written later
    removes the code."""
    values = body.model_dump()
    return run_post(
        store,
        actor,
        key=key,
        fingerprint=request_fingerprint("POST", request.url.path, values),
        work=lambda session: set_missing_code(session, patient_id=patient_id, **values).to_dict(),
    )


@router.delete("/patients/{patient_id}/missing-codes/{code_id}", status_code=204)
def delete_missing_code(
    patient_id: PatientId,
    code_id: CodeId,
    actor: ActorDep,
    store: StoreDep,
    version: Annotated[int, Query(ge=1, le=MAX_ID)],
    reason: Annotated[str, Query(min_length=1)],
) -> Response:
    """Clear a code read at ``version``, with a reason (audited like every deletion)."""
    with store.session(actor, reason=reason) as session:
        clear_missing_code(session, code_id=code_id, version=version, patient_id=patient_id)
    return Response(status_code=204)
