"""Indexes that find one patient's audit entries without reading the whole trail.

A patient's trail (``read_audit(study_id=)``: the casebook's audit appendix, the exports, the
patient's audit page) is the entries of the patient row and of every row that ever belonged to the
patient. The rows are found from the entries that set or changed their ``patient_id`` (partial
indexes on ``new_value`` and ``old_value`` where ``field = 'patient_id'``: only those short values
are indexed, never the long texts other fields carry), and their entries by ``(entity,
entity_id)``. Before, each patient read scanned the trail once.

Revision ID: 0016
Revises: 0015 (source data verification)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_OWNER_FIELD = sa.text("field = 'patient_id'")


def upgrade() -> None:
    op.create_index("ix_audit_entries_row", "audit_entries", ["entity", "entity_id"])
    for side in ("new_value", "old_value"):
        op.create_index(
            f"ix_audit_entries_patient_{side}",
            "audit_entries",
            [side],
            sqlite_where=_OWNER_FIELD,
            postgresql_where=_OWNER_FIELD,
        )


def downgrade() -> None:
    for side in ("new_value", "old_value"):
        op.drop_index(f"ix_audit_entries_patient_{side}", table_name="audit_entries")
    op.drop_index("ix_audit_entries_row", table_name="audit_entries")
