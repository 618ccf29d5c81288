"""Chain audit entries at COMMIT, inside PostgreSQL.

Until now the application took the chain's advisory lock at its first flush and held it
across every later round trip until COMMIT, so one write at a time owned the chain for
several milliseconds. From this revision a PostgreSQL transaction writes its entries to
``audit_pending`` (one row per flush, its entries as a JSON array); a deferred constraint
trigger takes the lock at COMMIT, links the entries after the chain's head and moves them
into ``audit_entries``. The lock is then held
only while PostgreSQL commits. SQLite, which serialises writers itself, keeps chaining in
the application.

An entry's hash is ``sha256(prev_hash ":" seq ":" content_digest)`` where
``content_digest`` is the SHA-256 of the entry's canonical JSON content, computed by the
application (see :func:`remission.store.audit.content_digest`); PostgreSQL computes the
link. Audit trails written before this revision used a single digest over content and
link: there are no deployed databases from before it (0.1.0 is unreleased).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

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
_COLUMNS = ", ".join(name for name, _ in _CONTENT)
_VALUES = ", ".join(f"entry.{name}" for name, _ in _CONTENT)
_RECORD = ", ".join(f"{name} {kind}" for name, kind in [*_CONTENT, ("content_digest", "text")])

# One pending row per flush holds that flush's entries as a JSON array, so the trigger fires
# once per flush and reads its entries from NEW: no scan of audit_pending, one delete by key.
# Rows of one transaction fire in the order they were inserted, each appending after the head
# the previous one left (the lock is re-entrant within the transaction).
_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION remission_audit_chain() RETURNS trigger AS $$
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
        SELECT * INTO entry FROM json_to_record(element.value) AS x({_RECORD});
        head_seq := head_seq + 1;
        prev_hash := head_hash;
        head_hash := encode(
            sha256(convert_to(head_hash || ':' || head_seq || ':' || entry.content_digest, 'UTF8')), 'hex'
        );
        INSERT INTO audit_entries (seq, {_COLUMNS}, prev_hash, hash)
        VALUES (head_seq, {_VALUES}, prev_hash, head_hash);
    END LOOP;
    DELETE FROM audit_pending WHERE id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "audit_pending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_pending")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE CONSTRAINT TRIGGER audit_chain_at_commit AFTER INSERT ON audit_pending "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION remission_audit_chain()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_chain_at_commit ON audit_pending")
        op.execute("DROP FUNCTION IF EXISTS remission_audit_chain()")
    op.drop_table("audit_pending")
