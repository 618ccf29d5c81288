"""Reading the audit trail (administrators, data managers and monitors; the store checks the role)."""

from __future__ import annotations

from datetime import date
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
    study_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    username: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    action: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    since: date | None = None,
    until: date | None = None,
) -> Any:
    """Entries in chain order, filtered by entity, patient (study id: the patient and every
    row of theirs, deleted ones too), user, action and UTC dates (inclusive); page on with
    ``after_seq``. Identifier values are hidden from roles that may not read the identifiers
    themselves."""
    with store.session(actor) as session:
        return read_audit_entries(
            session,
            entity=entity,
            entity_id=entity_id,
            after_seq=after_seq,
            limit=limit,
            study_id=study_id,
            username=username,
            action=action,
            since=since,
            until=until,
        )
