"""Source data verification marks: a monitor's check of an item against the source (issue 12, item 2).

One row per verified item (``source_verifications``): a baseline field, a patient column, a column of
a course row or a whole course row, keyed by ``item`` (the item key of data queries and missing-data
codes) and unique per patient; *verified* until the value changes, then *reset* with what changed.
Patient-owned like every clinical row (site, version, audit trail). See ``docs/conduct.md``, "SDV".

Revision ID: 0015
Revises: 0014 (consent versions)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

STATES = ("verified", "reset")


def upgrade() -> None:
    op.create_table(
        "source_verifications",
        sa.Column("item", sa.String(300), nullable=False),
        sa.Column("form", sa.String(40), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(200), nullable=True),
        sa.Column("state", sa.Enum(*STATES, name="sdvstate", native_enum=False, length=20), nullable=False),
        sa.Column("verified_by", sa.String(64), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reset_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reset_note", sa.Text(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_source_verifications_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_source_verifications_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_verifications")),
        sa.UniqueConstraint("patient_id", "item", name=op.f("uq_source_verifications_patient_id")),
    )
    with op.batch_alter_table("source_verifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_verifications_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_source_verifications_site_id"), ["site_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("source_verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_verifications_site_id"))
        batch_op.drop_index(batch_op.f("ix_source_verifications_patient_id"))
    op.drop_table("source_verifications")
