"""Server-side sessions: what a web session cookie or an API bearer token stands for.

Signing in starts a session: a row in ``user_sessions`` keyed by the SHA-256 of a random id
(:func:`start_session`). The id travels inside the signed cookie or token; every request
looks the row up (:func:`check_session`), so a session whose row is gone stops working on the
next request, reads and writes alike. A session ends

- when its idle time runs out (``idle_until``; a web page extends it, :func:`extend_session`),
- at its latest end (``expires_at``), however active it is,
- when the user signs out (:func:`end_session`), and
- when the user's password, active state or role assignments change: a hook on every study
  session's flush (:mod:`remission.store.session_revocation`) deletes the user's rows in the same
  transaction as the change, so no account function can forget it and a rolled-back change
  revokes nothing.

The table is written outside the audit trail (each sign-in and page view would otherwise grow
it); the account changes that revoke sessions are audited. Ended rows are swept at sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Table, delete, insert, or_, select, update

from remission.store.database import Store
from remission.store.failures import storage_errors
from remission.store.models import UserSession

SessionKind = Literal["web", "api"]
_TABLE: Table = UserSession.__table__  # type: ignore[assignment]  # a Table on a mapped class


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A session that is still valid: whose it is, its kind and its times (UTC)."""

    key: str
    user_id: int
    kind: str
    created_at: datetime
    idle_until: datetime
    expires_at: datetime


def session_key(session_id: str) -> str:
    """The stored key of a session id: its SHA-256, hex (the id itself is never stored)."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _clock(now: Callable[[], datetime] | None) -> datetime:
    return (now or (lambda: datetime.now(UTC)))()


def start_session(
    store: Store,
    *,
    user_id: int,
    kind: SessionKind,
    idle: timedelta,
    lifetime: timedelta,
    now: Callable[[], datetime] | None = None,
) -> str:
    """Start a session for ``user_id``; return its random id (to put in the cookie or token).

    It ends after ``idle`` without activity and ``lifetime`` after now at the latest.
    """
    moment = _clock(now)
    session_id = secrets.token_urlsafe(32)
    expires = moment + lifetime
    with storage_errors(store.engine), store.engine.begin() as connection:
        connection.execute(
            delete(_TABLE).where(or_(_TABLE.c.expires_at <= moment, _TABLE.c.idle_until <= moment))
        )
        connection.execute(
            insert(_TABLE).values(
                key_hash=session_key(session_id),
                user_id=user_id,
                kind=kind,
                created_at=moment,
                idle_until=min(moment + idle, expires),
                expires_at=expires,
            )
        )
    return session_id


def check_session(
    store: Store,
    *,
    session_id: str,
    user_id: int,
    kind: SessionKind,
    now: Callable[[], datetime] | None = None,
) -> LiveSession | None:
    """The live session ``session_id`` of ``user_id`` and of ``kind``; ``None`` when it ended,
    was revoked, or is another user's or another kind's."""
    moment = _clock(now)
    with storage_errors(store.engine), store.engine.connect() as connection:
        row = connection.execute(select(_TABLE).where(_TABLE.c.key_hash == session_key(session_id))).first()
    if row is None or row.user_id != user_id or row.kind != kind:
        return None
    if moment >= row.idle_until or moment >= row.expires_at:
        return None
    return LiveSession(row.key_hash, row.user_id, row.kind, row.created_at, row.idle_until, row.expires_at)


def extend_session(
    store: Store, *, session_id: str, idle: timedelta, now: Callable[[], datetime] | None = None
) -> None:
    """Push the idle end of a live session to ``idle`` from now (never past its latest end)."""
    moment = _clock(now)
    key = session_key(session_id)
    with storage_errors(store.engine), store.engine.begin() as connection:
        row = connection.execute(select(_TABLE.c.expires_at).where(_TABLE.c.key_hash == key)).first()
        if row is None:
            return
        connection.execute(
            update(_TABLE)
            .where(_TABLE.c.key_hash == key, _TABLE.c.idle_until > moment)
            .values(idle_until=min(moment + idle, row.expires_at))
        )


def end_session(store: Store, *, session_id: str) -> None:
    """End one session (signing out): its cookie or token stops working at once."""
    with storage_errors(store.engine), store.engine.begin() as connection:
        connection.execute(delete(_TABLE).where(_TABLE.c.key_hash == session_key(session_id)))
