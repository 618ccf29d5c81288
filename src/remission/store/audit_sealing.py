"""Sealing the audit chain with the application's key, and writing checkpoints on schedule.

On PostgreSQL the chain's order is decided at COMMIT by a trigger inside the database, which
must never see the key; so the application computes the keyed link afterwards. A *seal* is
``HMAC(key, prev_seal : seq : content_digest : nonce)``, one per entry, each covering the one
before: rewriting, removing or reordering sealed entries breaks it, and no one without the key
can make a new one.

Before sealing an entry the sealer checks its link and its MAC (made by the application when
it wrote the entry, :mod:`remission.store.audit_keys`), so an entry a database-only attacker
slipped into the chain between COMMIT and sealing is never sealed: it stops the sealer and
verification names it. On SQLite the entries are sealed in the transaction that writes them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.orm import Session

from remission.store.audit_checkpoints import Checkpoint, CheckpointSigner
from remission.store.audit_keys import AuditKeyring
from remission.store.audit_links import GENESIS, content_digest, content_of, link_hash, utc_stamp
from remission.store.audit_settings import AuditSettings, CheckpointSchedule, audit_settings_from_environment
from remission.store.models import AuditCheckpoint, AuditEntry, AuditSeal

#: The advisory lock that lets one sealer at a time extend the seals (PostgreSQL).
SEAL_LOCK = 7270212
_log = logging.getLogger(__name__)


def audit_settings_of(session: Session) -> AuditSettings:
    """The audit settings of the store that opened ``session`` (from the environment if none)."""
    settings = session.info.get("audit")
    if settings is None:
        settings = audit_settings_from_environment()
        session.info["audit"] = settings
    return settings


def entry_problem(entry: Mapping[str, Any], prev_hash: str, keyring: AuditKeyring) -> str | None:
    """What is wrong with ``entry`` after an entry whose hash is ``prev_hash``, or ``None``.

    Checks the unkeyed link, then the MAC the application made when it wrote the entry.
    """
    seq = entry["seq"]
    if entry["prev_hash"] != prev_hash:
        return "prev_hash does not match the previous entry's hash"
    digest = content_digest(content_of(entry))
    if link_hash(prev_hash, seq, digest) != entry["hash"]:
        return "content does not match its hash (entry altered)"
    key_id, nonce, mac = entry["key_id"], entry["nonce"], entry["entry_mac"]
    if key_id is None or nonce is None or mac is None:
        return "the entry carries no MAC (not written by remission, or written before migration 0006)"
    expected = keyring.entry_mac(key_id, nonce, digest)
    if expected is None:
        return f"the entry is authenticated with key id {key_id!r}, which is not configured"
    if expected != mac:
        return (
            f"the entry's MAC does not match under key {key_id!r}: the entry was forged or rewritten, "
            "or the key configured as that id is not the one it was written with"
        )
    return None


@dataclass(frozen=True, slots=True)
class SealResult:
    """What :func:`seal_chain` did: entries sealed now, the last sealed seq, why it stopped early."""

    sealed: int
    head: int
    problem: str | None = None


def last_seal(connection: Connection) -> tuple[int, str]:
    """The last seal as ``(seq, mac)``; ``(0, GENESIS)`` before any."""
    row = connection.execute(
        select(AuditSeal.seq, AuditSeal.mac).order_by(AuditSeal.seq.desc()).limit(1)
    ).first()
    return (row.seq, row.mac) if row else (0, GENESIS)


def _replayed_nonces(connection: Connection, nonces: list[str]) -> set[str]:
    table = AuditEntry.__table__
    query = select(table.c.nonce).where(table.c.nonce.in_(nonces)).group_by(table.c.nonce)
    return set(connection.scalars(query.having(func.count() > 1)))


def seal_chain(connection: Connection, keyring: AuditKeyring, *, batch: int = 1000) -> SealResult:
    """Seal every entry after the last seal, in order, in the caller's transaction.

    Stops (and logs why) at the first entry whose link or MAC does not hold, or whose nonce
    another entry repeats: that entry and those after it stay unsealed for verification to
    report. On PostgreSQL one sealer at a time holds an advisory lock.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SEAL_LOCK})")
    seq, seal = last_seal(connection)
    prev_hash = GENESIS
    if seq:
        stored = connection.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))
        if stored is None:
            return SealResult(0, seq, f"entry {seq} is sealed but no longer in the chain")
        prev_hash = stored
    sealed, table = 0, AuditEntry.__table__
    while True:
        query = select(table).where(table.c.seq > seq).order_by(table.c.seq).limit(batch)
        rows = [dict(row) for row in connection.execute(query).mappings()]
        if not rows:
            return SealResult(sealed, seq)
        replayed = _replayed_nonces(connection, [row["nonce"] for row in rows if row["nonce"]])
        seals: list[dict[str, Any]] = []
        problem = None
        for entry in rows:
            if entry["seq"] != seq + 1:
                problem = f"entry {seq + 1} is missing"
            elif entry["nonce"] in replayed:
                problem = f"entry {entry['seq']} repeats another entry's nonce (replayed)"
            else:
                problem = entry_problem(entry, prev_hash, keyring)
                if problem is not None:
                    problem = f"entry {entry['seq']}: {problem}"
            if problem is not None:
                break
            seq, prev_hash = entry["seq"], entry["hash"]
            digest = content_digest(content_of(entry))
            seal = keyring.seal_mac(keyring.active, seal, seq, digest, entry["nonce"]) or ""
            seals.append({"seq": seq, "key_id": keyring.active, "mac": seal})
        if seals:
            connection.execute(insert(AuditSeal), seals)
            sealed += len(seals)
        if problem is not None:
            _log.warning("audit entries left unsealed: %s; run remission audit verify", problem)
            return SealResult(sealed, seq, problem)


def sealed_head(connection: Connection) -> tuple[int, str, str] | None:
    """The last sealed entry as ``(seq, hash, seal)``, or ``None`` before any seal."""
    row = connection.execute(
        select(AuditSeal.seq, AuditEntry.hash, AuditSeal.mac)
        .join(AuditEntry, AuditEntry.seq == AuditSeal.seq)
        .order_by(AuditSeal.seq.desc())
        .limit(1)
    ).first()
    return (row[0], row[1], row[2]) if row else None


def write_checkpoint(connection: Connection, signer: CheckpointSigner) -> Checkpoint | None:
    """Sign the sealed head now and store the checkpoint; ``None`` when nothing is sealed yet."""
    head = sealed_head(connection)
    if head is None:
        return None
    seq, digest, seal = head
    checkpoint = signer.sign(seq=seq, hash=digest, seal=seal, at=utc_stamp())
    connection.execute(insert(AuditCheckpoint), [asdict(checkpoint)])
    return checkpoint


def _parse_stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def checkpoint_due(
    connection: Connection, schedule: CheckpointSchedule, *, now: datetime | None = None
) -> bool:
    """True when the sealed head is ``schedule.every_entries`` past the last checkpoint, or
    ``schedule.every_minutes`` have passed since it (since the first entry, before any)."""
    head = sealed_head(connection)
    if head is None:
        return False
    last = connection.execute(
        select(AuditCheckpoint.seq, AuditCheckpoint.at).order_by(AuditCheckpoint.id.desc()).limit(1)
    ).first()
    if last is None:
        since_seq, since = 0, connection.scalar(select(AuditEntry.at).where(AuditEntry.seq == 1))
    else:
        since_seq, since = last.seq, last.at
    if head[0] <= since_seq:
        return False
    if schedule.every_entries is not None and head[0] - since_seq >= schedule.every_entries:
        return True
    if schedule.every_minutes is None or since is None:
        return False
    moment = now or datetime.now(UTC)
    return moment - _parse_stamp(since) >= timedelta(minutes=schedule.every_minutes)


def after_audited_commit(connection: Connection, settings: AuditSettings) -> None:
    """The step after a COMMIT that wrote audit entries: seal them, checkpoint if one is due."""
    seal_chain(connection, settings.keyring)
    if settings.signer is not None and checkpoint_due(connection, settings.schedule):
        write_checkpoint(connection, settings.signer)
