"""Reading the audit trail (administrators, data managers and monitors; the store checks the role)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from remission.api.deps import ActorDep, StoreDep
from remission.store import MAX_ID
from remission.store import read_audit as read_audit_entries

router = APIRouter(tags=["audit"])


@router.get("/audit")
def read_audit(
    actor: ActorDep,
    store: StoreDep,
    entity: Annotated[str | None, Query(max_length=64)] = None,
    entity_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    after_seq: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Any:
    """Entries in chain order, filtered by entity; identifier values are hidden from roles
    that may not read the identifiers themselves."""
    with store.session(actor) as session:
        return read_audit_entries(
            session, entity=entity, entity_id=entity_id, after_seq=after_seq, limit=limit
        )
