"""Notifications: each user's inbox, their preferences and e-mail address, and the e-mail outbox.

The tables start empty; the store writes a notification (and an outbox row for e-mail) in the
same transaction as the event it reports, and the worker (``remission notify worker``) sends the
outbox. See ``docs/conduct.md``, "Notifications".

Revision ID: 0013
Revises: 0012 (signatures and locks)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_KIND = sa.Enum(
    "query opened",
    "query answered",
    "assessment overdue",
    "serious adverse event",
    "risk group",
    "signature invalidated",
    "trial match",
    name="notificationkind",
    native_enum=False,
    length=40,
)
_STATE = sa.Enum("pending", "sending", "sent", "failed", name="outboxstate", native_enum=False, length=40)


def _versioned() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _user_owned(table: str) -> list[sa.Constraint]:
    return [
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "notifications",
        *_versioned(),
        sa.Column("kind", _KIND, nullable=False),
        sa.Column("summary", sa.String(400), nullable=False),
        sa.Column("study_id", sa.String(64), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("link", sa.String(200), nullable=True),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("in_inbox", sa.Boolean(), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=True),
        *_user_owned("notifications"),
        sa.UniqueConstraint("user_id", "dedupe_key", name=op.f("uq_notifications_user_id")),
    )
    op.create_index(op.f("ix_notifications_user_id"), "notifications", ["user_id"])
    op.create_index("ix_notifications_inbox", "notifications", ["user_id", "read_at"])
    op.create_table(
        "notification_preferences",
        *_versioned(),
        sa.Column("kind", _KIND, nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("by_email", sa.Boolean(), nullable=False),
        *_user_owned("notification_preferences"),
        sa.UniqueConstraint("user_id", "kind", name=op.f("uq_notification_preferences_user_id")),
    )
    op.create_index(op.f("ix_notification_preferences_user_id"), "notification_preferences", ["user_id"])
    op.create_table(
        "notification_addresses",
        *_versioned(),
        sa.Column("email", sa.String(254), nullable=False),
        *_user_owned("notification_addresses"),
        sa.UniqueConstraint("user_id", name=op.f("uq_notification_addresses_user_id")),
    )
    op.create_index(op.f("ix_notification_addresses_user_id"), "notification_addresses", ["user_id"])
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(400), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("state", _STATE, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(1000), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_outbox_notification_id_notifications"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_notification_outbox_message_id")),
    )
    op.create_index("ix_notification_outbox_due", "notification_outbox", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_notification_outbox_due", table_name="notification_outbox")
    op.drop_table("notification_outbox")
    op.drop_index(op.f("ix_notification_addresses_user_id"), table_name="notification_addresses")
    op.drop_table("notification_addresses")
    op.drop_index(op.f("ix_notification_preferences_user_id"), table_name="notification_preferences")
    op.drop_table("notification_preferences")
    op.drop_index("ix_notifications_inbox", table_name="notifications")
    op.drop_index(op.f("ix_notifications_user_id"), table_name="notifications")
    op.drop_table("notifications")
