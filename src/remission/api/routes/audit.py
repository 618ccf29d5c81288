"""Reading the audit trail (administrators, data managers and monitors)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from remission.api.deps import ActorDep, StoreDep
from remission.store.actor import AccessDenied
from remission.store.models import AuditEntry
from remission.store.vocabulary import Role

router = APIRouter(tags=["audit"])
AUDIT_READERS = (Role.ADMIN, Role.DATA_MANAGER, Role.MONITOR)


@router.get("/audit")
def read_audit(
    actor: ActorDep,
    store: StoreDep,
    entity: Annotated[str | None, Query(max_length=64)] = None,
    entity_id: int | None = None,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Any:
    """Entries in chain order, filtered by entity; the reading is not itself an edit."""
    if not actor.has(*AUDIT_READERS):
        raise AccessDenied(f"{actor.username} may not read the audit trail")
    query = (
        select(AuditEntry.__table__).where(AuditEntry.seq > after_seq).order_by(AuditEntry.seq).limit(limit)
    )
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    with store.session(actor) as session:
        return [dict(row) for row in session.execute(query).mappings()]
