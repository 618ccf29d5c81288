"""Consent form versions per study (``consent_form_versions``) and the study a consent names
(``consents.protocol_id``; NULL for consents recorded before this migration).

Revision ID: 0014
Revises: 0013 (notifications)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_KINDS = ("parental permission", "assent", "participant consent")


def upgrade() -> None:
    op.create_table(
        "consent_form_versions",
        sa.Column("protocol_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.Enum(*_KINDS, name="consentkind", native_enum=False, length=40), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_form_versions")),
        sa.UniqueConstraint(
            "protocol_id", "kind", "label", name=op.f("uq_consent_form_versions_protocol_id")
        ),
    )
    with op.batch_alter_table("consent_form_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_form_versions_protocol_id"), ["protocol_id"], unique=False
        )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("protocol_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_column("protocol_id")
    with op.batch_alter_table("consent_form_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_form_versions_protocol_id"))
    op.drop_table("consent_form_versions")
