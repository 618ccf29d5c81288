"""Chain audit entries at COMMIT, inside PostgreSQL.

Until now the application took the chain's advisory lock at its first flush and held it
across every later round trip until COMMIT, so one write at a time owned the chain for
several milliseconds. From this revision a PostgreSQL transaction writes its entries to
``audit_pending``; a deferred constraint trigger takes the lock at COMMIT, links the
entries after the chain's head and moves them into ``audit_entries``. The lock is then held
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

_CONTENT = ("at", "user_id", "username", "action", "entity", "entity_id", "site_id", "field",
            "old_value", "new_value", "reason")
_COLUMNS = ", ".join(_CONTENT)
_VALUES = ", ".join(f"pending.{name}" for name in _CONTENT)

# Every firing after the first finds the transaction's pending rows gone and returns at once.
# Other transactions' pending rows are never visible: they are uncommitted, or deleted by the
# commit that chained them.
_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION remission_audit_chain() RETURNS trigger AS $$
DECLARE
    head_seq integer;
    head_hash text;
    pending record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_pending) THEN
        RETURN NULL;
    END IF;
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'audit entries are chained only in READ COMMITTED transactions';
    END IF;
    PERFORM pg_advisory_xact_lock(7270211);
    SELECT seq, hash INTO head_seq, head_hash FROM audit_entries ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        head_seq := 0;
        head_hash := repeat('0', 64);
    END IF;
    FOR pending IN SELECT * FROM audit_pending ORDER BY id LOOP
        head_seq := head_seq + 1;
        INSERT INTO audit_entries (seq, {_COLUMNS}, prev_hash, hash)
        VALUES (
            head_seq, {_VALUES}, head_hash,
            encode(sha256(convert_to(head_hash || ':' || head_seq || ':' || pending.content_digest, 'UTF8')),
                   'hex')
        )
        RETURNING hash INTO head_hash;
    END LOOP;
    DELETE FROM audit_pending;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "audit_pending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("content_digest", sa.String(length=64), nullable=False),
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
