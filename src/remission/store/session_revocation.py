"""Ending a user's sessions when their account changes, as a property of every study session.

A hook on every :class:`~remission.store.session.StudySession` flush deletes the sessions
(:mod:`remission.store.user_sessions`) of each user whose password, active state or role
assignments the flush changed, in the same transaction: no account function can forget it, and
a change that is rolled back revokes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, delete, inspect
from sqlalchemy.orm import Session

from remission.store.models import RoleAssignment, User, UserSession

_TABLE: Table = UserSession.__table__  # type: ignore[assignment]  # a Table on a mapped class
#: User columns whose change ends the user's sessions.
REVOKING_COLUMNS = ("active", "password_hash")


def revoke_user_sessions(connection: Connection, user_ids: set[int]) -> None:
    """Delete every session of ``user_ids`` in the caller's transaction."""
    if user_ids:
        connection.execute(delete(_TABLE).where(_TABLE.c.user_id.in_(sorted(user_ids))))


def _changed(obj: object, columns: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in columns)


def revoke_on_account_change(session: Session, flush_context: Any) -> None:
    """``after_flush`` hook: end the sessions of every user whose password, active state or
    role assignments this flush changed (in the same transaction)."""
    users: set[int] = set()
    for obj in session.dirty:
        if isinstance(obj, User) and _changed(obj, REVOKING_COLUMNS):
            users.add(obj.id)
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, RoleAssignment):
            users.add(obj.user_id)
    revoke_user_sessions(session.connection(), users)
