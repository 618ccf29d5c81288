"""The tables of notifications: each user's inbox, their preferences, and the e-mail outbox.

A :class:`Notification` is one line of one user's inbox; an :class:`OutboxMessage` one e-mail
waiting to be sent (or sent) by the worker (:mod:`remission.store.outbox`). Both are written in
the same transaction as the event they report (:mod:`remission.store.notification_hooks`), so a
write that commits has its notifications, and one that rolls back has none.

Rows of :class:`UserOwned` tables are read only by their user (:mod:`remission.store.scoping`
adds the criterion to every SELECT), and the outbox only by the system (the worker). None of
these tables is in the audit trail: they hold no study data of their own, only what the audited
writes they report already say, and the outbox changes with every delivery attempt.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from remission.store.base import Base, UTCDateTime, Versioned, utc_now
from remission.store.models import AUDITED


class NotificationKind(StrEnum):
    """What a notification reports."""

    QUERY_OPENED = "query opened"
    QUERY_ANSWERED = "query answered"
    ASSESSMENT_OVERDUE = "assessment overdue"
    SERIOUS_ADVERSE_EVENT = "serious adverse event"
    RISK_GROUP = "risk group"
    SIGNATURE_INVALIDATED = "signature invalidated"
    TRIAL_MATCH = "trial match"


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


def _enum(kind: type) -> Enum:
    return Enum(kind, native_enum=False, values_callable=lambda e: [m.value for m in e], length=40)


class UserOwned:
    """Marker: a row that belongs to one user, read and changed by that user only (or the system)."""

    @declared_attr
    def user_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("users.id"), index=True, nullable=False)


class Notification(UserOwned, Versioned, Base):
    """One line of a user's inbox: what happened, about which patient (study id only), and when."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_notifications_inbox", "user_id", "read_at"),
    )
    kind: Mapped[NotificationKind] = mapped_column(_enum(NotificationKind))
    #: What happened, in words built by the store from coded values (never a person's free text).
    summary: Mapped[str] = mapped_column(String(400))
    #: The pseudonymous study id of the patient it is about, if any.
    study_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    patient_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The page of the web app it is about, relative to the app's root (``/queries/12``).
    link: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: When the event happened (UTC).
    event_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    #: A reporting deadline (a serious adverse event's), shown with the time left.
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: False for a line kept only to remember an event sent by e-mail to someone who does not want
    #: the kind in the inbox (see ``dedupe_key``); the inbox leaves it out.
    in_inbox: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Set for events a scan may find again (an overdue assessment): one notification per key.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True)


class NotificationPreference(UserOwned, Versioned, Base):
    """A user's choice for one kind: in the inbox, by e-mail. A kind without a row takes the default."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)
    kind: Mapped[NotificationKind] = mapped_column(_enum(NotificationKind))
    in_app: Mapped[bool] = mapped_column(Boolean)
    by_email: Mapped[bool] = mapped_column(Boolean)


class MailAddress(UserOwned, Versioned, Base):
    """Where a user's e-mail notifications go (none: in the inbox only)."""

    __tablename__ = "notification_addresses"
    __table_args__ = (UniqueConstraint("user_id"),)
    email: Mapped[str] = mapped_column(String(254))


class OutboxMessage(Versioned, Base):
    """One e-mail to send, with its delivery state: claimed, sent, retried or given up.

    ``message_id`` is fixed when the row is written, so every attempt sends the same Message-ID
    header. ``attempts`` counts claims (a worker killed mid-send counts), ``next_attempt_at`` is
    when it may be tried again, ``claimed_until`` when a claim lapses.
    """

    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_due", "state", "next_attempt_at"),)
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL"), nullable=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(400))
    body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    state: Mapped[OutboxState] = mapped_column(_enum(OutboxState), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# Not in the audit trail (see the module's docstring); models.AUDITED is built before these exist,
# and this says so whatever the import order.
for _model in (Notification, NotificationPreference, MailAddress, OutboxMessage):
    AUDITED.pop(_model.__tablename__, None)
