"""Reading the audit trail, with identifier values hidden from those who may not see them.

Only administrators, data managers and monitors (and the operator) read the trail; the check
is made here, so every caller — API, web page, command line — gets the same answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from remission.store.actor import AccessDenied, Actor
from remission.store.base import PatientOwned, SiteScoped
from remission.store.errors import NotFound
from remission.store.models import AUDITED, AuditEntry, Patient, PatientIdentifiers
from remission.store.session import StudySession
from remission.store.vocabulary import Role

AUDIT_READERS = (Role.ADMIN, Role.DATA_MANAGER, Role.MONITOR)
REDACTED = "(identifier hidden)"
_IDENTIFYING_ENTITIES = frozenset({PatientIdentifiers.__tablename__})


def may_read_audit(actor: Actor) -> bool:
    """True when ``actor`` may read the audit trail (what :func:`read_audit` enforces)."""
    return actor.has(*AUDIT_READERS)


def _require_reader(session: StudySession) -> None:
    if not may_read_audit(session.actor):
        raise AccessDenied(f"{session.actor.username} may not read the audit trail")


def read_audit(
    session: StudySession,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    after_seq: int = 0,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Entries in chain order, after ``after_seq``, of one table (and row) or of all.

    Values of identifier rows are shown only to roles of that row's site, as the identifiers
    themselves are; everyone else sees that they changed. Raises :class:`AccessDenied` for
    roles that may not read the trail.
    """
    _require_reader(session)
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


def read_latest_audit(session: StudySession, *, limit: int) -> list[dict[str, Any]]:
    """The latest ``limit`` entries of the chain, newest first."""
    _require_reader(session)
    last = session.scalar(select(func.max(AuditEntry.seq))) or 0
    entries = read_audit(session, after_seq=max(0, last - limit), limit=limit)
    entries.reverse()
    return entries


def audit_subject(session: StudySession, *, entity: str, entity_id: int) -> Patient | None:
    """The patient a record of ``entity`` belongs to, if the actor may read it.

    Raises :class:`NotFound` for a table that is not audited. A deleted row has no row left
    (but keeps its history), and a row outside the actor's sites is not read: both give ``None``.
    """
    _require_reader(session)
    model = AUDITED.get(entity)
    if model is None:
        raise NotFound("audit record", entity)
    if not issubclass(model, SiteScoped):
        return None
    row = session.get(model, entity_id)
    if isinstance(row, Patient):
        return row
    if isinstance(row, PatientOwned):
        return session.get(Patient, row.patient_id)
    return None
