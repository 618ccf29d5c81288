"""Electronic signatures (``signatures``), freezes and locks (``data_locks``), and the time of the first
signature of a signed-in session (``user_sessions.first_signature_at``, for 21 CFR Part 11 §11.200).

Revision ID: 0012
Revises: 0011 (end-of-phase reports and cardiac assessments)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_UNITS = ("eligibility", "risk-assignment", "serious-adverse-event", "phase-report", "casebook")
_MEANINGS = ("review", "approval", "responsibility", "authorship")


def _enum(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=40)


def upgrade() -> None:
    op.create_table(
        "signatures",
        sa.Column("unit", _enum("signedunit", _UNITS), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=True),
        sa.Column("meaning", _enum("signaturemeaning", _MEANINGS), nullable=False),
        sa.Column("signer_user_id", sa.Integer(), nullable=False),
        sa.Column("signer_username", sa.String(64), nullable=False),
        sa.Column("signer_name", sa.String(200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attestation", sa.Text(), nullable=False),
        sa.Column("content_digest", sa.String(64), nullable=False),
        sa.Column("invalidated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invalidated_because", sa.Text(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_signatures_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_signatures_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatures")),
    )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signatures_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_signatures_site_id"), ["site_id"], unique=False)
        batch_op.create_index("ix_signatures_patient_valid", ["patient_id", "invalidated_at"], unique=False)
    op.create_table(
        "data_locks",
        sa.Column("level", _enum("locklevel", ("form", "casebook", "site", "study")), nullable=False),
        sa.Column("state", _enum("lockstate", ("frozen", "locked")), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("form", sa.String(40), nullable=True),
        sa.Column("row_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(64), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_data_locks_site_id_sites")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_data_locks_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_locks")),
    )
    with op.batch_alter_table("data_locks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_locks_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_locks_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index("ix_data_locks_active", ["released_at", "level"], unique=False)
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_signature_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_column("first_signature_at")
    with op.batch_alter_table("data_locks", schema=None) as batch_op:
        batch_op.drop_index("ix_data_locks_active")
        batch_op.drop_index(batch_op.f("ix_data_locks_patient_id"))
        batch_op.drop_index(batch_op.f("ix_data_locks_site_id"))
    op.drop_table("data_locks")
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index("ix_signatures_patient_valid")
        batch_op.drop_index(batch_op.f("ix_signatures_site_id"))
        batch_op.drop_index(batch_op.f("ix_signatures_patient_id"))
    op.drop_table("signatures")
