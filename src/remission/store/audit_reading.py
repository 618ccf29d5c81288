"""Reading the audit trail, with identifier values hidden from those who may not see them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from remission.store.models import AuditEntry, PatientIdentifiers
from remission.store.session import StudySession
from remission.store.vocabulary import Role

AUDIT_READERS = (Role.ADMIN, Role.DATA_MANAGER, Role.MONITOR)
REDACTED = "(identifier hidden)"
_IDENTIFYING_ENTITIES = frozenset({PatientIdentifiers.__tablename__})


def read_entries(
    session: StudySession, *, entity: str | None, entity_id: int | None, after_seq: int, limit: int
) -> list[dict[str, Any]]:
    """Entries in chain order. Values of identifier rows are shown only to roles of that
    row's site, as the identifiers themselves are; everyone else sees that they changed."""
    query = (
        select(AuditEntry.__table__).where(AuditEntry.seq > after_seq).order_by(AuditEntry.seq).limit(limit)
    )
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    visible = session.actor.identifier_sites
    entries = []
    for row in session.execute(query).mappings():
        entry = dict(row)
        hidden = (
            entry["entity"] in _IDENTIFYING_ENTITIES
            and visible is not None
            and entry["site_id"] not in visible
        )
        if hidden:
            entry["old_value"] = REDACTED if entry["old_value"] is not None else None
            entry["new_value"] = REDACTED if entry["new_value"] is not None else None
        entries.append(entry)
    return entries
