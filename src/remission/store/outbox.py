"""Sending the e-mail outbox: claim one message, send it over SMTP, mark it — each step committed.

The protocol, one message at a time (see ``docs/conduct.md``, "Notifications"):

1. **Claim**, in a transaction of its own: the oldest message that is *pending* and due, or
   *sending* under a claim that has lapsed (its worker died), becomes *sending*, claimed by this
   worker until now + the lease, with one more attempt counted. The row's version makes two
   workers' claims of one row collide: one commits, the other gets nothing (and on PostgreSQL
   ``FOR UPDATE SKIP LOCKED`` keeps them apart before that).
2. **Send** over SMTP, outside any transaction, with the Message-ID fixed when the row was written.
3. **Mark**, in a transaction of its own, right after the server's reply: *sent* on success; on a
   temporary failure *pending* again with the error and a later ``next_attempt_at`` (doubling from
   a minute, at most a day); on a permanent refusal (5xx) or the last attempt, *failed*.

A worker killed before the server accepted the message (before its "250" to the end of DATA)
leaves a claim that lapses; the next worker sends the message again, once. A worker killed after
the server accepted it but before step 3 committed leaves the same lapsed claim, and the message
is sent a second time with the **same Message-ID** — SMTP has no way to ask a server whether it
already holds a message, so this gap (one round trip and one commit) is the only one in which a
message can be sent twice, and the stable Message-ID lets mail systems and readers recognise the
copy. A message is never lost: it leaves the outbox only as *sent* or *failed*.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm.exc import StaleDataError

from remission.store.actor import Actor
from remission.store.base import utc_now
from remission.store.database import Store
from remission.store.mail_settings import MailSettings
from remission.store.notification_delivery import BASE_URL_MARK
from remission.store.notification_models import OutboxMessage, OutboxState

_log = logging.getLogger("remission.notify")
WORKER = Actor.for_system("notification worker")
_FIRST_RETRY = timedelta(minutes=1)
_LAST_RETRY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Claim:
    """A message this worker holds: what to send, and the claim that lets it mark the result."""

    id: int
    worker: str
    attempt: int
    to_address: str
    subject: str
    body: str
    message_id: str
    written_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxRun:
    """What one pass over the outbox did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


class _LostRace(Exception):
    """Another worker claimed the row between our read and our write."""


def worker_name() -> str:
    """A name unique to this worker process: host, process id and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def retry_delay(attempt: int) -> timedelta:
    """How long to wait after failed attempt ``attempt`` (1, 2, …): a minute, doubling, at most a day."""
    return min(_FIRST_RETRY * 2 ** max(attempt - 1, 0), _LAST_RETRY)


def claim_next(store: Store, *, worker: str, settings: MailSettings) -> Claim | None:
    """Claim the next message due (step 1); ``None`` when nothing is due or another worker won it.

    A message whose lapsed claims used up its attempts is marked *failed* instead.
    """
    now = utc_now()
    due = or_(
        and_(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.claimed_until < now),
    )
    try:
        with store.session(WORKER) as session:
            row = session.scalars(
                select(OutboxMessage)
                .where(due)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            if row.state is OutboxState.SENDING and row.attempts >= settings.max_attempts:
                row.state, row.claimed_by, row.claimed_until = OutboxState.FAILED, None, None
                row.last_error = f"the worker stopped during attempt {row.attempts}; no attempts left"
                _flush(session)
                return None
            if row.state is OutboxState.SENDING:
                _log.warning("message %s: the claim of %s lapsed; sending again", row.id, row.claimed_by)
            row.state = OutboxState.SENDING
            row.claimed_by = worker
            row.claimed_until = now + timedelta(seconds=settings.lease_seconds)
            row.attempts += 1
            _flush(session)
            return Claim(
                row.id,
                worker,
                row.attempts,
                row.to_address,
                row.subject,
                row.body,
                row.message_id,
                row.created_at,
            )
    except _LostRace:
        return None


def _flush(session: object) -> None:
    try:
        session.flush()  # type: ignore[attr-defined]
    except StaleDataError as error:
        raise _LostRace from error


def email_of(claim: Claim, settings: MailSettings) -> EmailMessage:
    """The e-mail a claim sends: the same headers (Message-ID, Date) at every attempt."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = claim.to_address
    message["Subject"] = claim.subject
    message["Message-ID"] = claim.message_id
    message["Date"] = format_datetime(claim.written_at)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(claim.body.replace(BASE_URL_MARK, settings.base_url))
    return message


def send(claim: Claim, settings: MailSettings) -> None:
    """Send one claimed message (step 2). Raises :class:`smtplib.SMTPException` or :class:`OSError`."""
    context = ssl.create_default_context()
    timeout = settings.timeout_seconds
    client: smtplib.SMTP
    if settings.tls == "ssl":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    with client:
        if settings.tls == "starttls":
            client.starttls(context=context)
        if settings.user and settings.password:
            client.login(settings.user, settings.password)
        client.send_message(email_of(claim, settings))


def mark(store: Store, claim: Claim, *, error: BaseException | None, settings: MailSettings) -> OutboxState:
    """Record the result of a send (step 3); return the message's new state."""
    with store.session(WORKER) as session:
        row = session.get(OutboxMessage, claim.id)
        if row is None:  # pragma: no cover - rows are never deleted (scoping refuses it)
            return OutboxState.FAILED
        if row.claimed_by != claim.worker:
            _log.warning("message %s: sent under a claim that had lapsed to %s", row.id, row.claimed_by)
        now = utc_now()
        row.claimed_by, row.claimed_until = None, None
        if error is None:
            row.state, row.sent_at, row.last_error = OutboxState.SENT, now, None
        else:
            row.last_error = f"attempt {claim.attempt}: {type(error).__name__}: {error}"[:1000]
            permanent = isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500
            permanent |= isinstance(error, smtplib.SMTPRecipientsRefused) and all(
                code >= 500 for code, _ in error.recipients.values()
            )
            if permanent or claim.attempt >= settings.max_attempts:
                row.state = OutboxState.FAILED
            else:
                row.state = OutboxState.PENDING
                row.next_attempt_at = now + retry_delay(claim.attempt)
        session.flush()
        return row.state


def send_outbox(store: Store, settings: MailSettings, *, worker: str | None = None) -> OutboxRun:
    """Claim, send and mark messages one at a time until none is due; return what happened."""
    name = worker or worker_name()
    sent = retried = failed = 0
    while (claim := claim_next(store, worker=name, settings=settings)) is not None:
        error: BaseException | None = None
        try:
            send(claim, settings)
        except (smtplib.SMTPException, OSError) as problem:
            error = problem
            _log.warning("message %s attempt %s failed: %s", claim.id, claim.attempt, problem)
        state = mark(store, claim, error=error, settings=settings)
        sent += state is OutboxState.SENT
        retried += state is OutboxState.PENDING
        failed += state is OutboxState.FAILED
    return OutboxRun(sent, retried, failed)


def outbox_counts(store: Store) -> dict[str, int]:
    """How many messages are in each state."""
    with store.session(WORKER) as session:
        rows = session.execute(
            select(OutboxMessage.state, func.count(OutboxMessage.id)).group_by(OutboxMessage.state)
        ).all()
    found = {OutboxState(state).value: int(count) for state, count in rows}
    return {state.value: found.get(state.value, 0) for state in OutboxState}
