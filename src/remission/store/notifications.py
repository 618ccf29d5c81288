"""Each user's inbox and notification preferences, and the events raised outside a write hook.

Most notifications are written by the session's hooks in the transaction of the write that
raises them (:mod:`remission.store.notification_hooks`). This module is the public side:

- the inbox of the acting user — :func:`list_notifications`, :func:`unread_count`,
  :func:`mark_read`, :func:`mark_all_read` (a user reads and marks only their own; another
  user's notification is :class:`NotFound`, as the session's criteria keep it out);
- preferences — :func:`read_preferences`, :func:`set_preferences` (per kind: inbox, e-mail; and
  the address e-mail goes to);
- events raised by a scan or another module — :func:`notify_overdue` (each overdue calendar item
  once), :func:`notify_trial_matches` (a saved search's subscriber), and :func:`notify`, the one
  entry point for other parts of the store (a signature invalidated calls it with
  ``NotificationKind.SIGNATURE_INVALIDATED``).

See ``docs/conduct.md``, "Notifications".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from remission.errors import FieldProblem, InputError
from remission.store.actor import AccessDenied
from remission.store.base import utc_now
from remission.store.calendar_models import CalendarEntry
from remission.store.calendar_upkeep import refresh_stale
from remission.store.errors import NotFound
from remission.store.models import Patient, User
from remission.store.notification_delivery import (
    DEFAULT_PREFERENCES,
    NotificationEvent,
    active_user_ids,
    deliver,
    site_staff,
)
from remission.store.notification_models import (
    MailAddress,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from remission.store.session import StudySession
from remission.store.worklist import _owed_on

#: The most inbox lines one read returns.
MAX_INBOX = 500
#: An e-mail address as the store accepts it: one ``@``, a dot in the domain, no spaces or line breaks.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_MAX_SUMMARY = 400


@dataclass(frozen=True, slots=True)
class NotificationPreferences:
    """A user's choices: per kind (in the inbox, by e-mail), and the address e-mail goes to."""

    email: str | None
    kinds: Mapping[NotificationKind, tuple[bool, bool]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "kinds": [
                {"kind": kind.value, "in_app": in_app, "by_email": by_email}
                for kind, (in_app, by_email) in self.kinds.items()
            ],
        }


def _own_user_id(session: StudySession) -> int:
    user_id = session.actor.user_id
    if user_id is None:
        raise AccessDenied(f"{session.actor.username} has no inbox: only a user account has one")
    return user_id


def notification_dict(notification: Notification, *, now: datetime | None = None) -> dict[str, Any]:
    """A notification as the API and pages show it, with the time left to its deadline (seconds,
    negative once passed) on ``now``."""
    left = None
    if notification.deadline_at is not None:
        left = int((notification.deadline_at - (now or utc_now())).total_seconds())
    return {
        "id": notification.id,
        "version": notification.version,
        "kind": notification.kind.value,
        "summary": notification.summary,
        "study_id": notification.study_id,
        "patient_id": notification.patient_id,
        "link": notification.link,
        "event_at": notification.event_at.isoformat(),
        "deadline_at": notification.deadline_at.isoformat() if notification.deadline_at else None,
        "seconds_left": left,
        "read": notification.read_at is not None,
        "read_at": notification.read_at.isoformat() if notification.read_at else None,
    }


def list_notifications(
    session: StudySession, *, unread_only: bool = False, limit: int = 100
) -> list[Notification]:
    """The acting user's inbox, newest first: at most ``limit`` lines (1 to :data:`MAX_INBOX`)."""
    if not 1 <= limit <= MAX_INBOX:
        raise InputError("inbox", [FieldProblem("limit", f"from 1 to {MAX_INBOX}")])
    user_id = _own_user_id(session)
    statement = (
        select(Notification)
        .where(Notification.user_id == user_id, Notification.in_inbox.is_(True))
        .order_by(Notification.event_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    return list(session.scalars(statement))


def unread_count(session: StudySession) -> int:
    """How many lines of the acting user's inbox are unread (0 for an actor without an inbox)."""
    user_id = session.actor.user_id
    if user_id is None:
        return 0
    statement = select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.in_inbox.is_(True), Notification.read_at.is_(None)
    )
    return int(session.scalar(statement) or 0)


def mark_read(session: StudySession, *, notification_id: int) -> Notification:
    """Mark one of the acting user's notifications read (again is a no-op); another's is NotFound."""
    user_id = _own_user_id(session)
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id or not notification.in_inbox:
        raise NotFound("notification", notification_id)
    if notification.read_at is None:
        notification.read_at = utc_now()
        session.flush()
    return notification


def mark_all_read(session: StudySession) -> int:
    """Mark every unread line of the acting user's inbox read; return how many."""
    user_id = _own_user_id(session)
    unread = session.scalars(
        select(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ).all()
    now = utc_now()
    for notification in unread:
        notification.read_at = now
    session.flush()
    return sum(1 for notification in unread if notification.in_inbox)


def read_preferences(session: StudySession) -> NotificationPreferences:
    """The acting user's choices for every kind (the default where they made none) and address."""
    user_id = _own_user_id(session)
    chosen = {
        row.kind: (row.in_app, row.by_email)
        for row in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }
    address = session.scalar(select(MailAddress).where(MailAddress.user_id == user_id))
    kinds = {kind: chosen.get(kind, DEFAULT_PREFERENCES[kind]) for kind in NotificationKind}
    return NotificationPreferences(address.email if address else None, kinds)


def _clean_email(email: str) -> str | None:
    cleaned = email.strip()
    if not cleaned:
        return None
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        raise InputError(
            "preferences", [FieldProblem("email", "an e-mail address such as name@hospital.example")]
        )
    return cleaned


def set_preferences(
    session: StudySession,
    *,
    kinds: Mapping[NotificationKind, tuple[bool, bool]] | Mapping[str, tuple[bool, bool]] | None = None,
    email: str | None = None,
) -> NotificationPreferences:
    """Set the acting user's choices: ``kinds`` maps a kind to (in the inbox, by e-mail) — kinds not
    named keep theirs; ``email`` sets the address (an empty string removes it, ``None`` keeps it).

    Raises :class:`InputError` naming ``kinds`` for an unknown kind, ``email`` for a malformed
    address; nothing is stored then.
    """
    user_id = _own_user_id(session)
    wanted: dict[NotificationKind, tuple[bool, bool]] = {}
    for name, (in_app, by_email) in (kinds or {}).items():
        try:
            kind = NotificationKind(name)
        except ValueError:
            choices = ", ".join(kind.value for kind in NotificationKind)
            raise InputError(
                "preferences", [FieldProblem("kinds", f"{name!r} is not one of {choices}")]
            ) from None
        wanted[kind] = (bool(in_app), bool(by_email))
    address = _clean_email(email) if email is not None else None
    existing = {
        row.kind: row
        for row in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }
    for kind, (in_app, by_email) in wanted.items():
        row = existing.get(kind)
        if row is None:
            session.add(NotificationPreference(user_id=user_id, kind=kind, in_app=in_app, by_email=by_email))
        else:
            row.in_app, row.by_email = in_app, by_email
    if email is not None:
        stored = session.scalar(select(MailAddress).where(MailAddress.user_id == user_id))
        if address is None and stored is not None:
            session.delete(stored)
        elif address is not None and stored is None:
            session.add(MailAddress(user_id=user_id, email=address))
        elif address is not None and stored is not None:
            stored.email = address
    session.flush()
    return read_preferences(session)


def notify(
    session: StudySession,
    *,
    kind: NotificationKind,
    summary: str,
    recipients: Iterable[int] | None = None,
    patient_id: int | None = None,
    link: str | None = None,
    deadline_at: datetime | None = None,
) -> int:
    """Tell people about an event in the session's transaction; return the inbox lines written.

    For other parts of the store (a signature invalidated by an edit calls it with
    ``NotificationKind.SIGNATURE_INVALIDATED`` and the signer's user id). ``recipients`` are user
    ids (inactive users are left out); without them, the coordinators and investigators of the
    patient's site. ``summary`` must name the patient by study id only — it goes into e-mail.
    """
    if not summary.strip() or len(summary) > _MAX_SUMMARY:
        raise InputError("notification", [FieldProblem("summary", f"1 to {_MAX_SUMMARY} characters")])
    patient = None
    if patient_id is not None:
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise NotFound("patient", patient_id)
    if recipients is None:
        if patient is None:
            raise InputError("notification", [FieldProblem("recipients", "name the recipients or a patient")])
        users = site_staff(session, site_id=patient.site_id)
    else:
        users = _active_ids(session, recipients)
    event = NotificationEvent(
        kind=NotificationKind(kind),
        summary=summary.strip(),
        recipients=users,
        study_id=patient.study_id if patient else None,
        patient_id=patient.id if patient else None,
        link=link,
        deadline_at=deadline_at,
    )
    return deliver(session, event)


def _active_ids(session: StudySession, user_ids: Iterable[int]) -> frozenset[int]:
    ids = sorted(set(user_ids))
    if not ids:
        return frozenset()
    return frozenset(session.scalars(select(User.id).where(User.id.in_(ids), User.active.is_(True))))


def _key(*parts: object) -> str:
    """A short stable key for an event a scan may find again."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode("utf-8")).hexdigest()


def notify_overdue(session: StudySession, *, as_of: date) -> int:
    """Tell each site's coordinators and investigators, once, of every assessment overdue on
    ``as_of``; return the inbox lines written. The system only (the worker or the command line).

    An item is told about once per window: a second scan writes nothing, and an item whose window
    moves (a phase date corrected) and passes again is told about again.
    """
    if not session.actor.system:
        raise AccessDenied(f"{session.actor.username} may not run the overdue scan")
    refresh_stale(session)
    rows = session.execute(
        select(
            CalendarEntry.patient_id,
            CalendarEntry.site_id,
            Patient.study_id,
            CalendarEntry.protocol_id,
            CalendarEntry.assessment,
            CalendarEntry.label,
            CalendarEntry.occurrence,
            CalendarEntry.due_until,
        )
        .join(Patient, Patient.id == CalendarEntry.patient_id)
        .where(_owed_on(as_of), CalendarEntry.due_until < as_of)
        .order_by(CalendarEntry.site_id, Patient.study_id, CalendarEntry.position)
    ).all()
    staff: dict[int, frozenset[int]] = {}
    written = 0
    for row in rows:
        if row.site_id not in staff:
            staff[row.site_id] = site_staff(session, site_id=row.site_id)
        occurrence = f" ({row.occurrence})" if row.occurrence else ""
        event = NotificationEvent(
            kind=NotificationKind.ASSESSMENT_OVERDUE,
            summary=f"Assessment overdue for {row.study_id} under {row.protocol_id}: "
            f"{row.label}{occurrence}.",
            recipients=staff[row.site_id],
            study_id=row.study_id,
            patient_id=row.patient_id,
            link=f"/patients/{row.patient_id}",
            dedupe_key="overdue:"
            + _key(row.patient_id, row.protocol_id, row.assessment, row.occurrence, row.due_until),
        )
        written += deliver(session, event, skip_existing=True)
    return written


def notify_trial_matches(
    session: StudySession,
    *,
    subscriber: str,
    search: str,
    saved_on: str | None,
    study_id: str | None,
    trials: Iterable[tuple[str, str]],
) -> int:
    """Tell a saved search's subscriber (a username) of each trial newly matching it, given as
    (trial id, verdict); once per trial and saving of the search. Returns the inbox lines written.

    An unknown or inactive subscriber is :class:`InputError` naming ``subscriber``.
    """
    users = active_user_ids(session, [subscriber])
    if not users:
        raise InputError("saved search", [FieldProblem("subscriber", f"no active user {subscriber!r}")])
    written = 0
    for trial_id, verdict in trials:
        event = NotificationEvent(
            kind=NotificationKind.TRIAL_MATCH,
            summary=f"Trial {trial_id} newly matches saved search {search}"
            f"{f' ({study_id})' if study_id else ''}: {verdict}.",
            recipients=users,
            study_id=study_id,
            dedupe_key="trial:" + _key(search, saved_on, trial_id),
        )
        written += deliver(session, event, skip_existing=True)
    return written
