"""The audit trail: append-only, hash-chained entries of every create, update and delete.

Anchors: 21 CFR Part 11 §11.10(e) (secure, computer-generated, time-stamped trails that
do not obscure earlier values) and ICH E6(R3) (reason for change, UTC timestamps,
account and permission changes logged).

Three layers protect an entry (see ``docs/security.md``, "Audit trail"):

- its **hash** links it to the previous entry (:mod:`remission.store.audit_links`);
- its **MAC**, made here with a key from outside the database
  (:mod:`remission.store.audit_keys`), proves the application wrote its content;
- its **seal**, a keyed chain written once the entry has its place
  (:mod:`remission.store.audit_sealing`), fixes that place.

On PostgreSQL the application writes entries with their digests and MACs to ``audit_pending``
and a trigger links them into the chain at COMMIT (migrations 0003 and 0006), so the chain's
lock is held only inside PostgreSQL's commit; the order of the chain is the order of commits,
and the entries are sealed right after. On SQLite, which lets one writer at a time in, the
application links and seals them itself. :func:`remission.store.audit_verification.verify_chain`
checks all three.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Connection, insert, inspect, select
from sqlalchemy.orm import Session

from remission.store.actor import Actor
from remission.store.audit_keys import AuditKeyring
from remission.store.audit_links import (
    GENESIS,
    content_digest,
    content_of,
    entry_hash,
    link_hash,
    utc_stamp,
)
from remission.store.audit_sealing import audit_settings_of, seal_chain
from remission.store.base import SiteScoped
from remission.store.models import AUDITED, AuditEntry, AuditPending
from remission.store.scoping import session_actor
from remission.store.vocabulary import AuditAction

__all__ = [
    "GENESIS",
    "Change",
    "ReasonRequired",
    "append_changes",
    "audit_flush",
    "audit_text",
    "content_digest",
    "entry_hash",
    "link_hash",
    "record_event",
    "store_reason",
]
#: Columns whose values are never written to the trail, only the fact that they changed.
SECRET_COLUMNS = frozenset({"password_hash"})
#: Bookkeeping columns that change with every write.
SKIPPED_COLUMNS = frozenset({"version", "created_at"})


class ReasonRequired(ValueError):
    """A change or deletion of an existing record was made without a reason."""


@contextmanager
def store_reason(session: Session, reason: str) -> Iterator[None]:
    """Audit the store's own change in this block with the writer's reason, or ``reason`` when the
    writer gave none (a query step, a mark verified again, a signature invalidated by a new row)."""
    given = session.info.get("reason")
    session.info["reason"] = given if given and given.strip() else reason
    try:
        yield
    finally:
        session.info["reason"] = given


def audit_text(value: Any) -> str | None:
    """A value as the trail writes it: ISO dates, enum values, JSON for the rest; ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Change:
    """One audit entry before it is chained."""

    action: AuditAction
    entity: str
    entity_id: int | None
    site_id: int | None
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None


def _site_of(obj: object) -> int | None:
    return obj.site_id if isinstance(obj, SiteScoped) else None


def _column_changes(obj: object, action: AuditAction) -> Iterator[Change]:
    state = inspect(obj)
    table = obj.__tablename__  # type: ignore[attr-defined]
    for column in state.mapper.column_attrs:
        key = column.key
        if key in SKIPPED_COLUMNS or key == "id":
            continue
        history = state.attrs[key].history
        if action is AuditAction.UPDATE and not history.has_changes():
            continue
        if action is AuditAction.DELETE:
            old, new = getattr(obj, key), None
        else:
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else getattr(obj, key)
        if action is AuditAction.CREATE and new is None:
            continue
        old_text, new_text = audit_text(old), audit_text(new)
        if key in SECRET_COLUMNS:
            old_text, new_text = (
                ("(set)" if old is not None else None),
                "(changed)" if new is not None else None,
            )
        yield Change(
            action,
            table,
            getattr(obj, "id", None),
            _site_of(obj),
            key,
            old_text,
            new_text,
        )


_content = content_of  # the name the tests of the chain have always used


def _stamped(
    actor: Actor, changes: Iterable[Change], reason: str | None, keyring: AuditKeyring
) -> list[dict[str, Any]]:
    """The entries of ``changes`` with their content digest, nonce, key id and MAC."""
    at = utc_stamp()
    entries = []
    for change in changes:
        content = {
            "at": at,
            "user_id": actor.user_id,
            "username": actor.username,
            "action": change.action.value,
            "entity": change.entity,
            "entity_id": change.entity_id,
            "site_id": change.site_id,
            "field": change.field,
            "old_value": change.old_value,
            "new_value": change.new_value,
            "reason": reason,
        }
        digest, nonce = content_digest(content), secrets.token_hex(16)
        mac = keyring.entry_mac(keyring.active, nonce, digest)
        entries.append(
            {**content, "content_digest": digest, "key_id": keyring.active, "nonce": nonce, "entry_mac": mac}
        )
    return entries


def append_changes(
    connection: Connection,
    actor: Actor,
    changes: Iterable[Change],
    reason: str | None,
    keyring: AuditKeyring,
) -> bool:
    """Write ``changes`` to the trail in the caller's transaction; True when there were any.

    Each entry gets a random nonce and its MAC under the key ring's active key here, in the
    application. On PostgreSQL the entries wait in ``audit_pending`` for the COMMIT trigger to
    link them; they are sealed after the COMMIT (:func:`seal_chain`). On SQLite they are linked
    and sealed at once.
    """
    entries = _stamped(actor, changes, reason, keyring)
    if not entries:
        return False
    if connection.dialect.name == "postgresql":
        connection.execute(insert(AuditPending), {"entries": entries})
        return True
    _chain_here(connection, entries)
    seal_chain(connection, keyring)
    return True


def _chain_here(connection: Connection, entries: list[dict[str, Any]]) -> None:
    """Link entries after the chain's head in this transaction (SQLite: one writer at a time)."""
    last = connection.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    rows = []
    for entry in entries:
        seq += 1
        digest = link_hash(prev, seq, entry["content_digest"])
        fields = {key: value for key, value in entry.items() if key != "content_digest"}
        rows.append({**fields, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    connection.execute(insert(AuditEntry), rows)


def _append(session: Session, changes: list[Change], reason: str | None) -> None:
    """Append ``changes`` with the store's key ring; mark the session for sealing after COMMIT."""
    keyring = audit_settings_of(session).keyring
    if append_changes(session.connection(), session_actor(session), changes, reason, keyring):
        session.info["audited"] = True


def record_event(
    session: Session,
    action: AuditAction,
    entity: str,
    entity_id: int | None,
    site_id: int | None,
    note: str | None = None,
) -> None:
    """Log an action that changes no row: a read of identifiers, an export."""
    _append(session, [Change(action, entity, entity_id, site_id, new_value=note)], session.info.get("reason"))


def audit_flush(session: Session, flush_context: Any) -> None:
    """``after_flush`` hook: chain an entry for every column created, changed or deleted."""
    changes: list[Change] = []
    for obj in session.new:
        if obj.__tablename__ in AUDITED:
            changes.extend(_column_changes(obj, AuditAction.CREATE))
    edits: list[Change] = []
    for obj in session.dirty:
        if obj.__tablename__ in AUDITED and session.is_modified(obj, include_collections=False):
            edits.extend(_column_changes(obj, AuditAction.UPDATE))
    for obj in session.deleted:
        if obj.__tablename__ in AUDITED:
            edits.extend(_column_changes(obj, AuditAction.DELETE))
    reason = session.info.get("reason")
    if edits and not (reason and reason.strip()):
        raise ReasonRequired("a reason is required to change or delete a saved record")
    _append(session, [*changes, *edits], reason)
