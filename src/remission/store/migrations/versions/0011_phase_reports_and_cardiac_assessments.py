"""Two course forms: the end-of-phase report (``phase_reports``) and the cardiac assessment
(``cardiac_assessments``), each a patient-owned, site-scoped, versioned row like the other course rows.

Revision ID: 0011
Revises: 0010 (calendar entries)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_METHODS = ("echocardiography", "radionuclide angiography", "cardiac MRI", "other")


def _owned(table: str) -> list[Any]:
    """The columns and keys every course row has: its patient, site, id, version and creation time."""
    return [
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f(f"fk_{table}_patient_id_patients"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f(f"fk_{table}_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _indexes(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f(f"ix_{table}_site_id"), ["site_id"], unique=False)


def upgrade() -> None:
    op.create_table(
        "phase_reports",
        sa.Column("phase_id", sa.String(64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("completed_as_planned", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        *_owned("phase_reports"),
    )
    _indexes("phase_reports")
    op.create_table(
        "cardiac_assessments",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(*_METHODS, name="cardiacmethod", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("shortening_fraction_percent", sa.Float(), nullable=True),
        sa.Column("ejection_fraction_percent", sa.Float(), nullable=True),
        sa.Column("finding", sa.Text(), nullable=True),
        *_owned("cardiac_assessments"),
    )
    _indexes("cardiac_assessments")


def downgrade() -> None:
    for table in ("cardiac_assessments", "phase_reports"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_site_id"))
            batch_op.drop_index(batch_op.f(f"ix_{table}_patient_id"))
        op.drop_table(table)
