"""Turning one event into inbox lines and e-mails: recipients, their preferences, the e-mail text.

:func:`deliver` writes, in the caller's transaction, one :class:`Notification` per recipient who
wants the kind in the inbox and one :class:`OutboxMessage` per recipient who wants it by e-mail
and has an address. The e-mail carries the event's summary, which the store builds from coded
values and the pseudonymous study id only — never a name, a date of birth, a record number or a
person's free text (a query's words stay in the app, behind its access control).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from remission.store.base import utc_now
from remission.store.models import RoleAssignment, User
from remission.store.notification_models import (
    MailAddress,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
)
from remission.store.session import StudySession
from remission.store.vocabulary import Role

#: (in the inbox, by e-mail) for a kind the user has not chosen for. Everything goes to the
#: inbox; e-mail only for what asks a person to act soon — kinds that can come in bulk (overdue
#: scans, risk groups, trial matches) stay in the inbox unless the user asks for them.
DEFAULT_PREFERENCES: dict[NotificationKind, tuple[bool, bool]] = {
    NotificationKind.QUERY_OPENED: (True, True),
    NotificationKind.QUERY_ANSWERED: (True, True),
    NotificationKind.ASSESSMENT_OVERDUE: (True, False),
    NotificationKind.SERIOUS_ADVERSE_EVENT: (True, True),
    NotificationKind.RISK_GROUP: (True, False),
    NotificationKind.SIGNATURE_INVALIDATED: (True, True),
    NotificationKind.TRIAL_MATCH: (True, False),
}
SITE_STAFF = frozenset({Role.COORDINATOR, Role.INVESTIGATOR})
REVIEWERS = frozenset({Role.DATA_MANAGER, Role.MONITOR})
_SUBJECT_PREFIX = "[remission]"
#: Where the worker puts the web app's public URL in an e-mail's link.
BASE_URL_MARK = "{base_url}"


@dataclass(frozen=True, slots=True)
class NotificationEvent:
    """Something to tell people about: who, what (in words free of identifiers), and where to look."""

    kind: NotificationKind
    summary: str
    recipients: frozenset[int]
    study_id: str | None = None
    patient_id: int | None = None
    link: str | None = None
    deadline_at: datetime | None = None
    event_at: datetime | None = None
    dedupe_key: str | None = None
    #: Extra lines for the e-mail (the deadline in words), as free of identifiers as the summary.
    details: tuple[str, ...] = ()


def users_with_roles(
    session: StudySession, roles: Iterable[Role], *, site_id: int | None = None
) -> frozenset[int]:
    """Active users holding any of ``roles`` (at ``site_id`` for site roles, at study level else)."""
    statement = (
        select(RoleAssignment.user_id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(User.active.is_(True), RoleAssignment.role.in_(sorted(roles)))
    )
    if site_id is not None:
        statement = statement.where(RoleAssignment.site_id == site_id)
    return frozenset(session.scalars(statement))


def site_staff(session: StudySession, *, site_id: int) -> frozenset[int]:
    """The active coordinators and investigators of a site."""
    return users_with_roles(session, SITE_STAFF, site_id=site_id)


def reviewers(session: StudySession) -> frozenset[int]:
    """The active data managers and monitors."""
    return users_with_roles(session, REVIEWERS)


def active_user_ids(session: StudySession, usernames: Iterable[str]) -> frozenset[int]:
    """The ids of the active users among ``usernames``."""
    names = sorted(set(usernames))
    if not names:
        return frozenset()
    return frozenset(session.scalars(select(User.id).where(User.username.in_(names), User.active.is_(True))))


def _choices(
    session: StudySession, user_ids: list[int], kind: NotificationKind
) -> dict[int, tuple[bool, bool]]:
    """Each recipient's (in the inbox, by e-mail) for ``kind``.

    Read on the session's connection, below the ORM's per-user criteria: the actor whose write
    raised the event may not read other users' preferences, but delivering to them needs them.
    """
    table = NotificationPreference.__table__
    rows = session.connection().execute(
        select(table.c.user_id, table.c.in_app, table.c.by_email).where(
            table.c.user_id.in_(user_ids), table.c.kind == kind.value
        )
    )
    chosen = {row.user_id: (bool(row.in_app), bool(row.by_email)) for row in rows}
    default = DEFAULT_PREFERENCES[kind]
    return {user_id: chosen.get(user_id, default) for user_id in user_ids}


def _addresses(session: StudySession, user_ids: list[int]) -> dict[int, str]:
    """Each recipient's e-mail address, if they gave one (read as :func:`_choices` reads)."""
    table = MailAddress.__table__
    rows = session.connection().execute(
        select(table.c.user_id, table.c.email).where(table.c.user_id.in_(user_ids))
    )
    return {row.user_id: row.email for row in rows}


def email_text(event: NotificationEvent, *, deadline_line: str | None = None) -> tuple[str, str]:
    """The subject and body of the e-mail for ``event``: its kind, summary and details, nothing more.

    The link is relative to the web app's root; the worker prefixes the configured public URL.
    """
    subject = f"{_SUBJECT_PREFIX} {event.kind.value}: {event.study_id or 'the study'}"
    lines = [event.summary, *event.details]
    if deadline_line:
        lines.append(deadline_line)
    if event.link:
        lines += ["", f"Open it in remission: {BASE_URL_MARK}{event.link}"]
    lines += [
        "",
        "You receive this because of your notification preferences in remission "
        "(Inbox, Preferences). This message names the study id only.",
    ]
    return subject, "\n".join(lines) + "\n"


def deliver(session: StudySession, event: NotificationEvent, *, skip_existing: bool = False) -> int:
    """Write ``event``'s inbox lines and e-mails in the session's transaction; return the lines written.

    ``skip_existing`` leaves out recipients who already hold a notification with the event's
    ``dedupe_key`` (an overdue assessment found by a second scan).
    """
    recipients = sorted(event.recipients)
    if not recipients:
        return 0
    if skip_existing and event.dedupe_key is not None:
        held = _holders(session, event.dedupe_key, recipients)
        recipients = [user_id for user_id in recipients if user_id not in held]
    choices = _choices(session, recipients, event.kind)
    addresses = _addresses(session, recipients)
    subject, body = email_text(event)
    written = 0
    at = event.event_at or utc_now()
    for user_id in recipients:
        in_app, by_email = choices[user_id]
        notification = None
        if in_app or event.dedupe_key is not None:
            # A deduplicated event keeps its line even for a user who reads it by e-mail only, so a
            # later scan knows it was sent; the inbox leaves such a line out (``in_inbox``).
            notification = Notification(
                user_id=user_id,
                kind=event.kind,
                summary=event.summary,
                study_id=event.study_id,
                patient_id=event.patient_id,
                link=event.link,
                event_at=at,
                deadline_at=event.deadline_at,
                dedupe_key=event.dedupe_key,
                in_inbox=in_app,
            )
            session.add(notification)
            written += 1 if in_app else 0
        if by_email and user_id in addresses:
            session.flush()
            session.add(
                OutboxMessage(
                    notification_id=notification.id if notification is not None else None,
                    to_address=addresses[user_id],
                    subject=subject,
                    body=body,
                    message_id=f"<{uuid.uuid4().hex}@remission.notifications>",
                    next_attempt_at=at,
                )
            )
    session.flush()
    return written


def _holders(session: StudySession, dedupe_key: str, user_ids: list[int]) -> set[int]:
    table = Notification.__table__
    rows = session.connection().execute(
        select(table.c.user_id).where(table.c.dedupe_key == dedupe_key, table.c.user_id.in_(user_ids))
    )
    return {row.user_id for row in rows}
