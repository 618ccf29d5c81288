"""Data queries (discrepancy notes): ``data_queries`` and their thread, ``data_query_messages``.

A query is about an item of a patient's record (a form, optionally a row and a field) and
keeps its current state and version; each step is a message row that is only ever added.
Both are patient-owned (site-scoped) and audited. See ``docs/conduct.md``, "Data queries".

Revision ID: 0008
Revises: 0007 (server-side sessions)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_STATES = ("open", "answered", "closed", "re-opened")
_ACTIONS = ("open", "answer", "close", "re-open", "check satisfied")


def _owned_columns(table: str) -> list[Any]:
    """The columns and keys every patient-owned, versioned table has."""
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


def upgrade() -> None:
    op.create_table(
        "data_queries",
        sa.Column("form", sa.String(40), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(200), nullable=True),
        sa.Column(
            "state", sa.Enum(*_STATES, name="querystate", native_enum=False, length=40), nullable=False
        ),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("check_id", sa.String(64), nullable=True),
        sa.Column("check_satisfied_at", sa.DateTime(timezone=True), nullable=True),
        *_owned_columns("data_queries"),
    )
    with op.batch_alter_table("data_queries", schema=None) as batch_op:
        for column in ("patient_id", "site_id", "state", "check_id"):
            batch_op.create_index(batch_op.f(f"ix_data_queries_{column}"), [column], unique=False)
    op.create_table(
        "data_query_messages",
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column(
            "action", sa.Enum(*_ACTIONS, name="queryaction", native_enum=False, length=40), nullable=False
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["query_id"],
            ["data_queries.id"],
            name=op.f("fk_data_query_messages_query_id_data_queries"),
            ondelete="RESTRICT",
        ),
        *_owned_columns("data_query_messages"),
    )
    with op.batch_alter_table("data_query_messages", schema=None) as batch_op:
        for column in ("patient_id", "site_id", "query_id"):
            batch_op.create_index(batch_op.f(f"ix_data_query_messages_{column}"), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("data_query_messages", schema=None) as batch_op:
        for column in ("query_id", "site_id", "patient_id"):
            batch_op.drop_index(batch_op.f(f"ix_data_query_messages_{column}"))
    op.drop_table("data_query_messages")
    with op.batch_alter_table("data_queries", schema=None) as batch_op:
        for column in ("check_id", "state", "site_id", "patient_id"):
            batch_op.drop_index(batch_op.f(f"ix_data_queries_{column}"))
    op.drop_table("data_queries")
