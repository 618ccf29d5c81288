"""Verifying the audit trail: links, MACs, seals, replays and every signed checkpoint.

:func:`verify_chain` walks the chain once, in order, and names the first entry at fault:

1. the unkeyed link (an entry altered, removed or reordered by someone who did not re-hash);
2. the entry's MAC (content the application never wrote — an appended or re-hashed forgery);
3. the seal (a keyed chain: entries reordered, removed or inserted, even with valid MACs);

then that no nonce occurs twice (a replayed entry), that no seal outlives its entry (a cut
tail), and that every checkpoint — in the database, and one the caller kept outside it — is
signed by a configured key and still matches the chain. The last entries may be unsealed on
PostgreSQL for a moment after their COMMIT; they are counted, not a break.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from remission.store.audit_checkpoints import Checkpoint, CheckpointKeys
from remission.store.audit_keys import DEVELOPMENT_KEY_ID, AuditKeyring
from remission.store.audit_links import GENESIS, content_digest, content_of
from remission.store.audit_sealing import entry_problem
from remission.store.audit_settings import AuditSettings, audit_settings_from_environment
from remission.store.models import AuditCheckpoint, AuditEntry, AuditSeal


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The verdict of :func:`verify_chain`.

    ``entries`` counts the intact entries before the break (all of them when intact); ``head``
    is the last intact entry as ``(seq, hash)``; ``unsealed`` the entries at the end not sealed
    yet; ``checkpoints`` the checkpoints verified and ``last_checkpoint`` the newest one's seq;
    ``key_ids`` the keys the intact entries are authenticated with.
    """

    entries: int
    broken_at: int | None
    problem: str | None
    head: tuple[int, str] | None = None
    unsealed: int = 0
    checkpoints: int = 0
    last_checkpoint: int | None = None
    key_ids: tuple[str, ...] = ()

    @property
    def intact(self) -> bool:
        return self.broken_at is None

    @property
    def development_key(self) -> bool:
        """True when some entries are authenticated with the public development key."""
        return DEVELOPMENT_KEY_ID in self.key_ids


def parse_anchor(text: str) -> tuple[int, str]:
    """An anchor written as ``SEQ:HASH`` (what ``remission audit verify`` prints as the head)."""
    seq, _, digest = text.partition(":")
    if (
        not seq.isascii()
        or not seq.isdigit()
        or len(seq) > 18
        or int(seq) < 1
        or len(digest) != 64
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        raise ValueError(
            "an anchor is SEQ:HASH, a positive sequence number and a 64-digit lower-case hex hash"
        )
    return int(seq), digest


@dataclass
class _Walk:
    """The state of one pass over the chain."""

    keyring: AuditKeyring
    prev_hash: str = GENESIS
    prev_seal: str = GENESIS
    count: int = 0
    unsealed_from: int | None = None
    head: tuple[int, str] | None = None
    key_ids: set[str] | None = None

    def step(self, entry: dict[str, Any], expected_seq: int) -> tuple[int, str] | None:
        """Check one entry; ``(seq, problem)`` when it breaks the chain."""
        seq = entry["seq"]
        if seq != expected_seq:
            return expected_seq, f"entry {expected_seq} is missing (next is {seq})"
        problem = entry_problem(entry, self.prev_hash, self.keyring)
        if problem is not None:
            return seq, problem
        if entry["seal_mac"] is None:
            self.unsealed_from = self.unsealed_from or seq
        elif self.unsealed_from is not None:
            return (
                self.unsealed_from,
                f"entry {self.unsealed_from} is not sealed but entry {seq} is: seals were removed",
            )
        else:
            digest = content_digest(content_of(entry))
            expected = self.keyring.seal_mac(
                entry["seal_key_id"], self.prev_seal, seq, digest, entry["nonce"]
            )
            if expected is None:
                return seq, f"the entry's seal uses key id {entry['seal_key_id']!r}, which is not configured"
            if expected != entry["seal_mac"]:
                return seq, (
                    "the entry's seal does not match: entries were removed, reordered or inserted "
                    "before it, or its seal was replaced"
                )
            self.prev_seal = entry["seal_mac"]
        self.prev_hash, self.count, self.head = entry["hash"], self.count + 1, (seq, entry["hash"])
        if self.key_ids is None:
            self.key_ids = set()
        self.key_ids.add(entry["key_id"])
        return None


def _walk(connection: Connection, keyring: AuditKeyring, batch: int) -> tuple[_Walk, tuple[int, str] | None]:
    entries, seals = AuditEntry.__table__, AuditSeal.__table__
    query = select(entries, seals.c.key_id.label("seal_key_id"), seals.c.mac.label("seal_mac")).select_from(
        entries.outerjoin(seals, seals.c.seq == entries.c.seq)
    )
    walk, last_seq = _Walk(keyring), 0
    while True:
        rows = connection.execute(
            query.where(entries.c.seq > last_seq).order_by(entries.c.seq).limit(batch)
        ).mappings()
        seen = 0
        for row in rows:
            seen += 1
            broken = walk.step(dict(row), last_seq + 1)
            if broken is not None:
                return walk, broken
            last_seq = row["seq"]
        if not seen:
            return walk, None


def _after_the_walk(connection: Connection, end: int) -> tuple[int, str] | None:
    """Seals past the chain's end (a cut tail) and nonces used twice (a replayed entry)."""
    sealed_to = connection.scalar(select(func.max(AuditSeal.seq))) or 0
    if sealed_to > end:
        return end + 1, (
            f"the chain ends at entry {end}, but entry {sealed_to} was sealed: "
            "entries were removed from the end"
        )
    table = AuditEntry.__table__
    replay = connection.execute(
        select(func.min(table.c.seq), func.max(table.c.seq))
        .where(table.c.nonce.is_not(None))
        .group_by(table.c.nonce)
        .having(func.count() > 1)
        .order_by(func.max(table.c.seq))
        .limit(1)
    ).first()
    if replay is not None:
        return replay[1], f"entry {replay[1]} repeats the nonce of entry {replay[0]} (a replayed entry)"
    return None


def checkpoint_problem(
    connection: Connection, checkpoint: Checkpoint, keys: CheckpointKeys, end: int
) -> tuple[int, str] | None:
    """Why ``checkpoint`` fails against the chain ending at entry ``end``, as ``(seq, problem)``."""
    named = f"the checkpoint of entry {checkpoint.seq} made {checkpoint.at}"
    signature = keys.problem(checkpoint)
    if signature is not None:
        return checkpoint.seq, f"{named}: {signature}"
    if checkpoint.seq > end:
        return (
            end + 1,
            f"the chain ends at entry {end}, but {named} names a later one: "
            "entries were removed from the end",
        )
    row = connection.execute(
        select(AuditEntry.hash, AuditSeal.mac)
        .outerjoin(AuditSeal, AuditSeal.seq == AuditEntry.seq)
        .where(AuditEntry.seq == checkpoint.seq)
    ).first()
    if row is None or (row[0], row[1]) != (checkpoint.hash, checkpoint.seal):
        return checkpoint.seq, f"entry {checkpoint.seq} differs from {named}"
    return None


def _stored_checkpoints(connection: Connection) -> list[Checkpoint]:
    table = AuditCheckpoint.__table__
    rows = connection.execute(
        select(
            table.c.seq, table.c.hash, table.c.seal, table.c.at, table.c.signer, table.c.signature
        ).order_by(table.c.id)
    )
    return [Checkpoint(*row) for row in rows]


def verify_chain(
    connection: Connection,
    *,
    settings: AuditSettings | None = None,
    batch: int = 5000,
    anchor: tuple[int, str] | None = None,
    checkpoint: Checkpoint | None = None,
) -> ChainReport:
    """Check every link, MAC and seal in order, then every checkpoint; report the first fault.

    ``settings`` gives the HMAC keys and the public keys of the checkpoints (by default from the
    environment). A chain cut short after its last checkpoint still links, so only a checkpoint
    kept elsewhere can reveal it: with ``checkpoint`` (one exported earlier) or ``anchor``
    (``(seq, hash)`` of an earlier head) the chain must still hold that entry as it was.
    """
    chosen = settings or audit_settings_from_environment()
    walk, broken = _walk(connection, chosen.keyring, batch)
    end = walk.head[0] if walk.head else 0
    unsealed = end - walk.unsealed_from + 1 if walk.unsealed_from is not None else 0
    verified: list[Checkpoint] = []

    def report(found: tuple[int, str] | None) -> ChainReport:
        return ChainReport(
            walk.count,
            found[0] if found else None,
            found[1] if found else None,
            walk.head,
            unsealed,
            len(verified),
            max((c.seq for c in verified), default=None),
            tuple(sorted(walk.key_ids or ())),
        )

    if broken is not None:
        return report(broken)
    broken = _after_the_walk(connection, end)
    if broken is not None:
        return report(broken)
    kept = [] if checkpoint is None else [checkpoint]
    for candidate in [*_stored_checkpoints(connection), *kept]:
        broken = checkpoint_problem(connection, candidate, chosen.checkpoint_keys, end)
        if broken is not None:
            return report(broken)
        verified.append(candidate)
    if anchor is not None:
        seq, digest = anchor
        if end < seq:
            return report(
                (
                    end + 1,
                    f"the chain ends at entry {end}, but the anchor names entry {seq}: entries are missing",
                )
            )
        stored = connection.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))
        if stored != digest:
            return report((seq, "the entry's hash differs from the anchor"))
    return report(None)
