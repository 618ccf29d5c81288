"""Signing in with throttling: back-off and lockout per account and per client address.

Every failed sign-in counts against the account (the username as typed, whether or not it
exists) and against the client address. Up to ``free_attempts`` failures cost nothing; from
then on each failure locks the key for ``base_delay_seconds`` doubled per further failure, at
most ``max_lockout_seconds``. While either key is locked, :func:`sign_in` answers *throttled*
with the seconds to wait and checks no password. A successful sign-in resets the account's
counter (not the address's: one good account must not buy an address more guesses at others).
A counter untouched for ``forget_after_seconds`` starts again from zero.

The counters live in the database (``sign_in_throttle``), so every server worker sees the same
ones. Each attempt is counted *before* its password is checked, in one transaction that locks
the account's row and then the address's row (always in that order, so attempts cannot
deadlock): parallel attempts queue on the row lock and cannot all slip under the limit. A
successful attempt gives its address count back. The table is written outside the audit
trail — an unauthenticated client could otherwise grow the hash-chained trail at will, and it
holds no study data — and a lockout is logged on the ``remission.sign_in`` logger instead.

The password of an electronic signature counts the same way (:func:`count_attempt` and
:func:`forgive_attempt`, used by :func:`remission.store.signatures.sign_units`).
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from remission.store.accounts import authenticate
from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.failures import storage_errors
from remission.store.models import SignInThrottle

log = logging.getLogger("remission.sign_in")
_TABLE: Table = SignInThrottle.__table__  # type: ignore[assignment]  # a Table on a mapped class


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """How many failed sign-ins are free, and how long a key is locked after more."""

    #: Failed sign-ins of one account before it is locked.
    free_attempts: int = 5
    #: Failed sign-ins from one client address before it is locked (higher: a hospital's
    #: staff may share one address).
    free_attempts_per_address: int = 20
    #: The first lockout; each further failure doubles it.
    base_delay_seconds: float = 2.0
    #: The longest lockout.
    max_lockout_seconds: float = 900.0
    #: A counter with no failure for this long starts again from zero.
    forget_after_seconds: float = 86_400.0

    def lockout(self, failures: int, free: int) -> timedelta | None:
        """How long ``failures`` failures lock a key that allows ``free`` of them, if at all."""
        if failures < free:
            return None
        # The exponent is capped so a long run of failures cannot overflow the float.
        seconds = self.base_delay_seconds * 2.0 ** min(failures - free, 64)
        return timedelta(seconds=min(seconds, self.max_lockout_seconds))


@dataclass(frozen=True, slots=True)
class SignInResult:
    """The outcome of :func:`sign_in`: the actor, or ``None`` with the seconds to wait if throttled."""

    actor: Actor | None
    #: Whole seconds until another attempt is considered (0 when not throttled).
    retry_after: int = 0

    @property
    def throttled(self) -> bool:
        return self.retry_after > 0


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()


def _lock_row(connection: Connection, key: str, kind: str, now: datetime) -> Row[Any]:
    """Create the key's row if need be and return it locked until the transaction ends."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    values = {"key": key, "kind": kind, "failures": 0, "last_failure": now, "locked_until": None}
    # An INSERT first takes SQLite's write lock at once (a SELECT first could deadlock on the
    # upgrade); on PostgreSQL the SELECT ... FOR UPDATE below takes the row lock.
    connection.execute(dialect.insert(_TABLE).values(**values).on_conflict_do_nothing(index_elements=["key"]))
    return connection.execute(select(_TABLE).where(_TABLE.c.key == key).with_for_update()).one()


def _count(connection: Connection, row: Row[Any], free: int, policy: SignInPolicy, now: datetime) -> None:
    forgotten = now - row.last_failure >= timedelta(seconds=policy.forget_after_seconds)
    failures = 1 if forgotten or row.failures <= 0 else row.failures + 1
    lockout = policy.lockout(failures, free)
    locked_until = now + lockout if lockout else None
    if lockout:
        seconds = lockout.total_seconds()
        log.warning("sign-in %s locked for %.0f s after %d failures", row.kind, seconds, failures)
    connection.execute(
        update(_TABLE)
        .where(_TABLE.c.key == row.key)
        .values(failures=failures, last_failure=now, locked_until=locked_until)
    )


def _wait(row: Row[Any], now: datetime) -> float:
    return (row.locked_until - now).total_seconds() if row.locked_until else 0.0


def count_attempt(
    engine: Engine, *, username: str, address: str | None, policy: SignInPolicy, moment: datetime
) -> int:
    """Count one attempt at ``username``'s password (and from ``address``) before it is checked.

    Commits at once, in its own transaction, so a failure stays counted whatever the caller's
    transaction does. Returns the whole seconds to wait while a key is locked (nothing counted
    then: the password must not be checked), else 0.
    """
    with storage_errors(engine), engine.begin() as connection:
        rows = [(_lock_row(connection, _key("account", username), "account", moment), policy.free_attempts)]
        if address is not None:
            row = _lock_row(connection, _key("address", address), "address", moment)
            rows.append((row, policy.free_attempts_per_address))
        wait = max(_wait(row, moment) for row, _ in rows)
        if wait > 0:
            return max(1, math.ceil(wait))
        for row, free in rows:
            _count(connection, row, free, policy, moment)
    return 0


def forgive_attempt(engine: Engine, *, username: str, address: str | None) -> None:
    """A right password: reset the account's counter and give the address its count back."""
    with storage_errors(engine), engine.begin() as connection:
        connection.execute(delete(_TABLE).where(_TABLE.c.key == _key("account", username)))
        if address is not None:
            connection.execute(
                update(_TABLE)
                .where(_TABLE.c.key == _key("address", address), _TABLE.c.failures > 0)
                .values(failures=_TABLE.c.failures - 1)
            )


def sign_in(
    store: Store,
    *,
    username: str,
    password: str,
    address: str,
    policy: SignInPolicy,
    now: Callable[[], datetime] | None = None,
) -> SignInResult:
    """Check ``username`` and ``password`` from client ``address``, throttled by ``policy``.

    Returns the actor on success; ``SignInResult(None)`` for a wrong username or password
    (the same for an unknown, inactive or real account); and, while the account or the address
    is locked, ``SignInResult(None, retry_after=seconds)`` without checking the password.
    ``now`` gives the time (UTC) for tests; the clock by default.
    """
    clock = now or (lambda: datetime.now(UTC))
    wait = count_attempt(store.engine, username=username, address=address, policy=policy, moment=clock())
    if wait:
        return SignInResult(None, retry_after=wait)
    with store.session(Actor.for_system("sign-in")) as session:
        actor = authenticate(session, username=username, password=password)
    if actor is not None:
        forgive_attempt(store.engine, username=username, address=address)
    return SignInResult(actor)
