"""The audit trail: append-only, hash-chained entries of every create, update and delete.

Anchors: 21 CFR Part 11 §11.10(e) (secure, computer-generated, time-stamped trails that
do not obscure earlier values) and ICH E6(R3) (reason for change, UTC timestamps,
account and permission changes logged). Each entry's hash covers its content and the
previous entry's hash, so an edited, removed or reordered entry breaks the chain at
that point; :func:`verify_chain` finds the first broken link.

An entry's hash is ``sha256(prev_hash ":" seq ":" content_digest)``, where the content
digest is the SHA-256 of the entry's canonical JSON content. On PostgreSQL the
application writes entries with their content digest to ``audit_pending`` and a trigger
links them into the chain at COMMIT (migration 0003), so the chain's lock is held only
inside PostgreSQL's commit; the order of the chain is the order of commits. On SQLite,
which lets one writer at a time in, the application links them itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Connection, insert, inspect, select
from sqlalchemy.orm import Session

from remission.store.actor import Actor
from remission.store.base import SiteScoped
from remission.store.models import AUDITED, AuditEntry, AuditPending
from remission.store.scoping import session_actor
from remission.store.vocabulary import AuditAction

GENESIS = "0" * 64
#: Columns whose values are never written to the trail, only the fact that they changed.
SECRET_COLUMNS = frozenset({"password_hash"})
#: Bookkeeping columns that change with every write.
SKIPPED_COLUMNS = frozenset({"version", "created_at"})


class ReasonRequired(ValueError):
    """A change or deletion of an existing record was made without a reason."""


def _plain(value: Any) -> str | None:
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
        old_text, new_text = _plain(old), _plain(new)
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


def content_digest(content: dict[str, Any]) -> str:
    """The SHA-256 of an entry's content (:func:`_content`) as canonical JSON."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def link_hash(prev_hash: str, seq: int, digest: str) -> str:
    """An entry's hash from the previous hash, its sequence number and its content digest.

    Migration 0003's PostgreSQL trigger computes the same text and digest.
    """
    return hashlib.sha256(f"{prev_hash}:{seq}:{digest}".encode()).hexdigest()


def entry_hash(prev_hash: str, seq: int, content: dict[str, Any]) -> str:
    """The hash an entry with this content must carry at ``seq`` after ``prev_hash``."""
    return link_hash(prev_hash, seq, content_digest(content))


_CONTENT_KEYS = (
    "at",
    "user_id",
    "username",
    "action",
    "entity",
    "entity_id",
    "site_id",
    "field",
    "old_value",
    "new_value",
    "reason",
)


def _content(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: entry[key] for key in _CONTENT_KEYS}


def utc_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def append_changes(
    connection: Connection, actor: Actor, changes: Iterable[Change], reason: str | None
) -> None:
    """Write ``changes`` to the trail in the caller's transaction."""
    at = utc_stamp()
    contents = [
        {
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
        for change in changes
    ]
    if not contents:
        return
    if connection.dialect.name == "postgresql":
        entries = [{**content, "content_digest": content_digest(content)} for content in contents]
        connection.execute(insert(AuditPending), {"entries": entries})
        return
    _chain_here(connection, contents)


def _chain_here(connection: Connection, contents: list[dict[str, Any]]) -> None:
    """Link entries after the chain's head in this transaction (SQLite: one writer at a time)."""
    last = connection.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    rows = []
    for content in contents:
        seq += 1
        digest = link_hash(prev, seq, content_digest(content))
        rows.append({**content, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    connection.execute(insert(AuditEntry), rows)


def record_event(
    session: Session,
    action: AuditAction,
    entity: str,
    entity_id: int | None,
    site_id: int | None,
    note: str | None = None,
) -> None:
    """Log an action that changes no row: a read of identifiers, an export."""
    actor = session.info["actor"]
    append_changes(
        session.connection(),
        actor,
        [Change(action, entity, entity_id, site_id, new_value=note)],
        session.info.get("reason"),
    )


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
    append_changes(session.connection(), session_actor(session), [*changes, *edits], reason)


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The verdict of :func:`verify_chain`; ``head`` is the last intact entry as ``(seq, hash)``."""

    entries: int
    broken_at: int | None
    problem: str | None
    head: tuple[int, str] | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def parse_anchor(text: str) -> tuple[int, str]:
    """An anchor written as ``SEQ:HASH`` (what ``remission audit verify`` prints as the head)."""
    seq, _, digest = text.partition(":")
    if (
        not seq.isdigit()
        or int(seq) < 1
        or len(digest) != 64
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        raise ValueError(
            "an anchor is SEQ:HASH, a positive sequence number and a 64-digit lower-case hex hash"
        )
    return int(seq), digest


def verify_chain(
    connection: Connection, *, batch: int = 5000, anchor: tuple[int, str] | None = None
) -> ChainReport:
    """Recompute every hash in order; report the first entry whose link is broken.

    A chain cut short at its end still links correctly, so only a head recorded elsewhere can
    reveal it: with ``anchor`` (``(seq, hash)`` of an earlier head), the chain must still hold
    that entry with that hash.
    """
    report = _verify_links(connection, batch)
    if anchor is None or not report.intact:
        return report
    seq, digest = anchor
    if report.entries < seq:
        problem = (
            f"the chain ends at entry {report.entries}, but the anchor names entry {seq}: entries are missing"
        )
        return ChainReport(report.entries, report.entries + 1, problem, report.head)
    stored = connection.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))
    if stored != digest:
        return ChainReport(report.entries, seq, "the entry's hash differs from the anchor", report.head)
    return report


def _verify_links(connection: Connection, batch: int) -> ChainReport:
    prev, expected_seq, count = GENESIS, 1, 0
    last_seq = 0
    head: tuple[int, str] | None = None
    while True:
        rows = (
            connection.execute(
                select(AuditEntry.__table__)
                .where(AuditEntry.seq > last_seq)
                .order_by(AuditEntry.seq)
                .limit(batch)
            )
            .mappings()
            .all()
        )
        if not rows:
            return ChainReport(count, None, None, head)
        for row in rows:
            entry = dict(row)
            seq = entry["seq"]
            if seq != expected_seq:
                return ChainReport(
                    count, expected_seq, f"entry {expected_seq} is missing (next is {seq})", head
                )
            if entry["prev_hash"] != prev:
                return ChainReport(count, seq, "prev_hash does not match the previous entry's hash", head)
            if entry_hash(prev, seq, _content(entry)) != entry["hash"]:
                return ChainReport(count, seq, "content does not match its hash (entry altered)", head)
            prev, expected_seq, count, last_seq = entry["hash"], seq + 1, count + 1, seq
            head = (seq, prev)
