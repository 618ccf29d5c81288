"""The standing of every calendar item (``calendar_entries``), kept by the store for fast worklists.

Derived data: the store fills a patient's rows the first time a worklist reads their site and
rewrites them whenever a write changes what the calendar reads, so the table starts empty.

Revision ID: 0010
Revises: 0009 (missing-data codes)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("protocol_id", sa.String(64), nullable=False),
        sa.Column("protocol_version", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("assessment", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("occurrence", sa.String(64), nullable=False),
        sa.Column("standing", sa.String(40), nullable=False),
        sa.Column("due_from", sa.Date(), nullable=True),
        sa.Column("due_until", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("missing_code", sa.String(40), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_calendar_entries_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_calendar_entries_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_entries")),
    )
    with op.batch_alter_table("calendar_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_entries_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calendar_entries_site_id"), ["site_id"], unique=False)
        batch_op.create_index(
            "ix_calendar_entries_worklist", ["site_id", "standing", "due_from"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("calendar_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_calendar_entries_worklist")
        batch_op.drop_index(batch_op.f("ix_calendar_entries_site_id"))
        batch_op.drop_index(batch_op.f("ix_calendar_entries_patient_id"))
    op.drop_table("calendar_entries")
