"""Key the audit trail: a MAC per entry, seals, signed checkpoints, and no direct INSERT.

Until now the chain was an unkeyed SHA-256: anyone able to write to the database could append
an entry with a correctly computed hash, or rewrite one and re-hash everything after it. From
this revision (see ``docs/security.md``, "Audit trail"):

- each entry carries ``key_id``, a random ``nonce`` and ``entry_mac``, an HMAC-SHA-256 of its
  content digest under a key that is *not* in the database (``REMISSION_AUDIT_KEY*``);
- ``audit_seals`` holds one keyed link per entry, written by the application once the entry
  has its place (PostgreSQL decides it at COMMIT, inside the database, without the key);
- ``audit_checkpoints`` holds Ed25519-signed statements of the chain's head;
- on PostgreSQL only the COMMIT-time trigger may insert entries: its function runs as the
  ``remission_audit_linker`` role (SECURITY DEFINER, NOLOGIN), and a BEFORE INSERT trigger
  refuses every other writer, the application's role included, whatever its grants.

An existing chain is converted: its links are verified first (a broken chain is refused: it
must be investigated, not blessed with a key), then every entry gets a nonce, a MAC and a seal
under the active key, the conversion itself is appended as a ``re-key`` entry, and a checkpoint
is signed when a signing key is configured. A new, empty database has nothing to convert.

The migration computes with the pure functions of the store (digests, MACs, signatures) over
its own table definitions, so later changes to the models cannot change what it does.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from remission.store.audit_checkpoints import CheckpointSigner
from remission.store.audit_keys import AuditKeyring
from remission.store.audit_links import GENESIS, content_digest, content_of, link_hash, utc_stamp
from remission.store.audit_settings import AuditSettings, audit_settings_from_environment
from remission.store.errors import Refused

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: The role the COMMIT-time linking function runs as; the only one that may insert entries.
LINKER = "remission_audit_linker"
_BATCH = 2000

_CONTENT = (
    ("at", "text"),
    ("user_id", "integer"),
    ("username", "text"),
    ("action", "text"),
    ("entity", "text"),
    ("entity_id", "integer"),
    ("site_id", "integer"),
    ("field", "text"),
    ("old_value", "text"),
    ("new_value", "text"),
    ("reason", "text"),
)
_KEYED = (("key_id", "text"), ("nonce", "text"), ("entry_mac", "text"))
_COLUMNS = ", ".join(name for name, _ in (*_CONTENT, *_KEYED))
_VALUES = ", ".join(f"entry.{name}" for name, _ in (*_CONTENT, *_KEYED))
_RECORD = ", ".join(f"{name} {kind}" for name, kind in [*_CONTENT, *_KEYED, ("content_digest", "text")])

# Migration 0003's function, now also carrying each entry's key id, nonce and MAC, and running
# as the linker role with a fixed search_path (a SECURITY DEFINER function must not resolve
# names through the caller's path).
_PG_CHAIN_FUNCTION = """
CREATE OR REPLACE FUNCTION remission_audit_chain() RETURNS trigger
SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    head_seq integer;
    head_hash text;
    prev_hash text;
    element record;
    entry record;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'audit entries are chained only in READ COMMITTED transactions';
    END IF;
    PERFORM pg_advisory_xact_lock(7270211);
    SELECT seq, hash INTO head_seq, head_hash FROM audit_entries ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        head_seq := 0;
        head_hash := repeat('0', 64);
    END IF;
    FOR element IN
        SELECT e.value FROM json_array_elements(NEW.entries) WITH ORDINALITY AS e(value, position)
        ORDER BY e.position
    LOOP
        SELECT * INTO entry FROM json_to_record(element.value) AS x({record});
        head_seq := head_seq + 1;
        prev_hash := head_hash;
        head_hash := encode(
            sha256(convert_to(head_hash || ':' || head_seq || ':' || entry.content_digest, 'UTF8')), 'hex'
        );
        INSERT INTO audit_entries (seq, {columns}, prev_hash, hash)
        VALUES (head_seq, {values}, prev_hash, head_hash);
    END LOOP;
    DELETE FROM audit_pending WHERE id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

_PG_GUARD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION remission_audit_insert_guard() RETURNS trigger AS $$
BEGIN
    IF current_user <> '{LINKER}' THEN
        RAISE EXCEPTION
            'audit entries are written only by the COMMIT-time chain (direct INSERT by % refused)',
            current_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""

_SQLITE_NO_UPDATE = (
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only (UPDATE refused)'); END"
)

_entries = sa.table(
    "audit_entries",
    sa.column("seq", sa.Integer),
    *(sa.column(name, sa.Integer if kind == "integer" else sa.Text) for name, kind in _CONTENT),
    sa.column("prev_hash", sa.Text),
    sa.column("hash", sa.Text),
    sa.column("key_id", sa.Text),
    sa.column("nonce", sa.Text),
    sa.column("entry_mac", sa.Text),
)
_seals = sa.table(
    "audit_seals", sa.column("seq", sa.Integer), sa.column("key_id", sa.Text), sa.column("mac", sa.Text)
)
_checkpoints = sa.table(
    "audit_checkpoints",
    *(
        sa.column(name, sa.Integer if name == "seq" else sa.Text)
        for name in ("seq", "hash", "seal", "at", "signer", "signature")
    ),
)


def _settings() -> AuditSettings:
    """The keys :func:`remission.store.upgrade` was given, else those of the environment."""
    given = context.config.attributes.get("audit_settings")
    return given if isinstance(given, AuditSettings) else audit_settings_from_environment()


def _old_chain(bind: sa.Connection) -> Iterator[dict[str, Any]]:
    """The existing entries in order, checked link by link; a broken chain is refused."""
    prev, expected = GENESIS, 1
    while True:
        rows = bind.execute(
            sa.select(_entries).where(_entries.c.seq >= expected).order_by(_entries.c.seq).limit(_BATCH)
        ).mappings()
        seen = False
        for row in rows:
            seen = True
            entry = dict(row)
            seq = entry["seq"]
            digest = content_digest(content_of(entry))
            if seq != expected or entry["prev_hash"] != prev or link_hash(prev, seq, digest) != entry["hash"]:
                raise Refused(
                    "audit trail",
                    f"migration 0006 will not key a broken chain (entry {expected} is missing or altered); "
                    "run remission audit verify on the previous release and investigate first",
                )
            yield {**entry, "digest": digest}
            prev, expected = entry["hash"], seq + 1
        if not seen:
            return


def _rekey(bind: sa.Connection, keyring: AuditKeyring) -> tuple[int, str, str]:
    """Give every entry a nonce, a MAC and a seal; return the head as ``(seq, hash, seal)``."""
    key_id, seal, head = keyring.active, GENESIS, (0, GENESIS)
    updates: list[dict[str, Any]] = []
    seals: list[dict[str, Any]] = []
    update = (
        sa.update(_entries)
        .where(_entries.c.seq == sa.bindparam("b_seq"))
        .values(
            key_id=sa.bindparam("b_key_id"), nonce=sa.bindparam("b_nonce"), entry_mac=sa.bindparam("b_mac")
        )
    )

    def flush() -> None:
        if updates:
            bind.execute(update, updates)
            bind.execute(sa.insert(_seals), seals)
            updates.clear()
            seals.clear()

    for entry in _old_chain(bind):
        nonce = secrets.token_hex(16)
        mac = keyring.entry_mac(key_id, nonce, entry["digest"])
        seal = keyring.seal_mac(key_id, seal, entry["seq"], entry["digest"], nonce) or ""
        updates.append({"b_seq": entry["seq"], "b_key_id": key_id, "b_nonce": nonce, "b_mac": mac})
        seals.append({"seq": entry["seq"], "key_id": key_id, "mac": seal})
        head = (entry["seq"], entry["hash"])
        if len(updates) >= _BATCH:
            flush()
    flush()
    return head[0], head[1], seal


def _record_conversion(
    bind: sa.Connection, keyring: AuditKeyring, head: tuple[int, str, str]
) -> tuple[int, str, str]:
    """Append the conversion itself as a sealed ``re-key`` entry; return the new head."""
    seq, prev_hash, prev_seal = head
    content = {
        "at": utc_stamp(),
        "user_id": None,
        "username": "migration 0006",
        "action": "re-key",
        "entity": "audit_entries",
        "entity_id": None,
        "site_id": None,
        "field": None,
        "old_value": None,
        "new_value": json.dumps({"entries": seq, "key_id": keyring.active}, sort_keys=True),
        "reason": "the audit trail is keyed: a MAC per entry, seals and signed checkpoints",
    }
    digest, nonce, key_id = content_digest(content), secrets.token_hex(16), keyring.active
    seq += 1
    digest_hash = link_hash(prev_hash, seq, digest)
    bind.execute(
        sa.insert(_entries),
        [
            {
                **content,
                "seq": seq,
                "prev_hash": prev_hash,
                "hash": digest_hash,
                "key_id": key_id,
                "nonce": nonce,
                "entry_mac": keyring.entry_mac(key_id, nonce, digest),
            }
        ],
    )
    seal = keyring.seal_mac(key_id, prev_seal, seq, digest, nonce) or ""
    bind.execute(sa.insert(_seals), [{"seq": seq, "key_id": key_id, "mac": seal}])
    return seq, digest_hash, seal


def _checkpoint(bind: sa.Connection, signer: CheckpointSigner, head: tuple[int, str, str]) -> None:
    seq, digest, seal = head
    checkpoint = signer.sign(seq=seq, hash=digest, seal=seal, at=utc_stamp())
    document = checkpoint.to_document()
    del document["format"]
    bind.execute(sa.insert(_checkpoints), [document])


def _convert(bind: sa.Connection, postgresql: bool) -> None:
    """Key the existing chain with the append-only guard lifted for this transaction only."""
    if bind.execute(sa.select(sa.func.count()).select_from(_entries)).scalar() == 0:
        return
    settings = _settings()
    if postgresql:
        op.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_append_only")
    else:
        op.execute("DROP TRIGGER audit_no_update")
    head = _rekey(bind, settings.keyring)
    if postgresql:
        op.execute("ALTER TABLE audit_entries ENABLE TRIGGER audit_append_only")
    else:
        op.execute(_SQLITE_NO_UPDATE)
    head = _record_conversion(bind, settings.keyring, head)
    if settings.signer is not None:
        _checkpoint(bind, settings.signer, head)


def _append_only(table: str, postgresql: bool) -> None:
    if postgresql:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION remission_audit_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION remission_audit_append_only()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'audit entries are append-only ({operation} refused)'); END"
        )


def _guard_inserts(bind: sa.Connection) -> None:
    """Let only the linker role insert entries; the chain function runs as that role."""
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar()
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{LINKER}') "
        f"THEN CREATE ROLE {LINKER} NOLOGIN; END IF; END $$"
    )
    op.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {LINKER}')
    op.execute(f"GRANT SELECT, INSERT ON audit_entries TO {LINKER}")
    op.execute(f"GRANT SELECT, DELETE ON audit_pending TO {LINKER}")
    op.execute(
        _PG_CHAIN_FUNCTION.format(schema=f'"{schema}"', record=_RECORD, columns=_COLUMNS, values=_VALUES)
    )
    op.execute(f"ALTER FUNCTION remission_audit_chain() OWNER TO {LINKER}")
    op.execute(_PG_GUARD_FUNCTION)
    op.execute(
        "CREATE TRIGGER audit_insert_only_at_commit BEFORE INSERT ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION remission_audit_insert_guard()"
    )
    op.execute("REVOKE INSERT ON audit_entries FROM PUBLIC")


def upgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    op.add_column("audit_entries", sa.Column("key_id", sa.String(32), nullable=True))
    op.add_column("audit_entries", sa.Column("nonce", sa.String(32), nullable=True))
    op.add_column("audit_entries", sa.Column("entry_mac", sa.String(64), nullable=True))
    op.create_index(op.f("ix_audit_entries_nonce"), "audit_entries", ["nonce"], unique=True)
    op.create_table(
        "audit_seals",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_seals")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("seal", sa.String(64), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("signer", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    op.create_index(op.f("ix_audit_checkpoints_seq"), "audit_checkpoints", ["seq"])
    _convert(bind, postgresql)
    for table in ("audit_seals", "audit_checkpoints"):
        _append_only(table, postgresql)
    if postgresql:
        op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_seals, audit_checkpoints FROM PUBLIC")
        _guard_inserts(bind)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("DROP TRIGGER IF EXISTS audit_insert_only_at_commit ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS remission_audit_insert_guard()")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_at_commit ON audit_pending")
        op.execute("DROP FUNCTION IF EXISTS remission_audit_chain()")
        op.execute(f"REVOKE ALL ON audit_entries, audit_pending FROM {LINKER}")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_seals")
    op.drop_index(op.f("ix_audit_entries_nonce"), table_name="audit_entries")
    for column in ("entry_mac", "nonce", "key_id"):
        op.drop_column("audit_entries", column)
    if not postgresql:
        return
    # Back to migration 0003's function and trigger (unkeyed, running as the caller).
    from importlib import import_module

    chain_0003 = import_module("remission.store.migrations.versions.0003_chain_audit_at_commit")
    op.execute(chain_0003._PG_FUNCTION)
    op.execute(
        "CREATE CONSTRAINT TRIGGER audit_chain_at_commit AFTER INSERT ON audit_pending "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION remission_audit_chain()"
    )
