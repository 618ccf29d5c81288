"""Make the audit trail append-only in the database itself.

A trigger refuses UPDATE, DELETE (and on PostgreSQL TRUNCATE) of audit entries for
every role, including the application's own; only an operator who drops the trigger
can change them, and that leaves a gap the hash chain reveals.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION remission_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION remission_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_entries "
            "FOR EACH STATEMENT EXECUTE FUNCTION remission_audit_append_only()"
        )
        op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM PUBLIC")
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_no_{operation.lower()} BEFORE {operation} ON audit_entries "
                f"BEGIN SELECT RAISE(ABORT, 'audit entries are append-only ({operation} refused)'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_no_truncate ON audit_entries")
        op.execute("DROP TRIGGER IF EXISTS audit_append_only ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS remission_audit_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_no_delete")
