"""Missing-data codes: why an item of a patient's data has no value (issue 11, item 5).

One row per coded item (``missing_data_codes``): a baseline field, a column of a course row, or
an occurrence of a scheduled assessment, keyed by ``item`` and unique per patient; patient-owned
like every clinical row (site, version, audit trail). See ``docs/conduct.md``.

Revision ID: 0009
Revises: 0008 (data queries)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CODES = ("not done", "not applicable", "unknown", "not asked", "asked but declined")


def upgrade() -> None:
    op.create_table(
        "missing_data_codes",
        sa.Column("item", sa.String(300), nullable=False),
        sa.Column("form", sa.String(40), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(200), nullable=True),
        sa.Column("protocol_id", sa.String(64), nullable=True),
        sa.Column("assessment", sa.String(64), nullable=True),
        sa.Column("occurrence", sa.String(64), nullable=True),
        sa.Column("code", sa.Enum(*CODES, name="missingcode", native_enum=False, length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_missing_data_codes_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_missing_data_codes_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missing_data_codes")),
        sa.UniqueConstraint("patient_id", "item", name=op.f("uq_missing_data_codes_patient_id")),
    )
    with op.batch_alter_table("missing_data_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_missing_data_codes_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_missing_data_codes_site_id"), ["site_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("missing_data_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_missing_data_codes_site_id"))
        batch_op.drop_index(batch_op.f("ix_missing_data_codes_patient_id"))
    op.drop_table("missing_data_codes")
