"""Freezes and locks of a form, a casebook, a site or the study. The store holds who may set and
release them and refuses locked writes for every route (409 frozen, 423 locked)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from remission import store as study_store
from remission.api.deps import ActorDep, StoreDep
from remission.api.schemas.signatures import LockCreate, LockPublic, LockRelease
from remission.store import MAX_ID

router = APIRouter(tags=["locks"])
LockId = Annotated[int, Path(ge=1, le=MAX_ID, description="Lock id.")]


@router.get("/locks", response_model=list[LockPublic])
def list_locks(
    actor: ActorDep,
    store: StoreDep,
    active: Annotated[bool, Query(description="Only freezes and locks not released.")] = True,
    patient_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Those covering a patient.")] = None,
) -> list[LockPublic]:
    """The freezes and locks the caller may see (the study's, and their sites'), newest first."""
    with store.session(actor) as session:
        found = study_store.list_locks(session, active_only=active, patient_id=patient_id)
        return [LockPublic.model_validate(lock) for lock in found]


@router.post("/locks", response_model=LockPublic, status_code=201)
def set_lock(body: LockCreate, actor: ActorDep, store: StoreDep) -> LockPublic:
    """Freeze or lock (a data manager or admin); a casebook lock needs its signatures or an override."""
    with store.session(actor, reason=body.reason or f"{body.state.value} {body.level.value}") as session:
        lock = study_store.set_lock(
            session,
            level=body.level,
            state=body.state,
            site_code=body.site,
            patient_id=body.patient_id,
            form=body.form,
            row_id=body.row_id,
            reason=body.reason,
            override_reason=body.override_reason,
        )
        return LockPublic.model_validate(lock)


@router.post("/locks/{lock_id}/release", response_model=LockPublic)
def release_lock(lock_id: LockId, body: LockRelease, actor: ActorDep, store: StoreDep) -> LockPublic:
    """Unfreeze (a data manager or admin) or unlock (an admin only), with a reason."""
    with store.session(actor, reason=body.reason) as session:
        lock = study_store.release_lock(session, lock_id=lock_id, version=body.version, reason=body.reason)
        return LockPublic.model_validate(lock)
