"""Database URLs, engines and units of work.

One URL picks the database: a SQLite file (the embedded default) or PostgreSQL
(``postgresql+psycopg://user@host/db``). Nothing else changes between them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from remission.errors import FieldProblem, InputError
from remission.store.actor import Actor
from remission.store.audit import ChainReport, verify_chain
from remission.store.errors import Conflict, StorageError
from remission.store.failures import UPGRADE_FIX, display_url, storage_error, storage_errors
from remission.store.migrations_api import current_revision, head_revision
from remission.store.session import StudySession

DEFAULT_DATABASE_URL = "sqlite:///remission.sqlite"
URL_VARIABLE = "REMISSION_DATABASE_URL"


def database_url(explicit: str | None = None) -> str:
    """The URL given, else ``$REMISSION_DATABASE_URL``, else the embedded SQLite file."""
    url = explicit or os.environ.get(URL_VARIABLE) or DEFAULT_DATABASE_URL
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError("--database", [FieldProblem(url, "not a database URL")]) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InputError("--database", [FieldProblem(url, "use a sqlite:/// or postgresql:// URL")])
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False}, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **options)


class Store:
    """The study store: an engine and sessions that always act for an actor."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, class_=StudySession, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None, *, existing: bool = False, migrated: bool = False) -> Store:
        """The store at ``url`` (see :func:`database_url`).

        With ``existing``, a SQLite URL must name a file that exists: SQLite would otherwise
        create an empty database, and reading nothing helps no one. With ``migrated`` (which
        implies ``existing``), the database must also hold the newest schema
        (:meth:`require_migrated`), so a command that needs a study says so instead of failing
        half-way.
        """
        chosen = database_url(url)
        parsed = make_url(chosen)
        missing = not (parsed.database and Path(parsed.database).is_file())
        if (existing or migrated) and parsed.get_backend_name() == "sqlite" and missing:
            problem = f"no database file there; {UPGRADE_FIX} to create one"
            raise InputError("--database", [FieldProblem(chosen, problem)])
        store = cls(make_engine(chosen))
        if migrated:
            store.require_migrated()
        return store

    @property
    def redacted_url(self) -> str:
        """The database's URL with the password hidden, for messages and logs."""
        return display_url(self.engine.url)

    def require_migrated(self) -> None:
        """Raise :class:`StorageError` unless the database is reachable and at the newest revision."""
        revision, head = current_revision(self.engine), head_revision(self.engine)
        if revision == head:
            return
        problem = (
            "no remission study schema there"
            if revision is None
            else f"the schema is at revision {revision}, this remission needs {head}"
        )
        raise StorageError(problem, url=self.redacted_url, fix=UPGRADE_FIX)

    def verify_audit(self, *, anchor: tuple[int, str] | None = None) -> ChainReport:
        """Recompute the audit chain (see :func:`remission.store.audit.verify_chain`)."""
        with storage_errors(self.engine), self.engine.connect() as connection:
            return verify_chain(connection, anchor=anchor)

    @contextmanager
    def session(self, actor: Actor, *, reason: str | None = None) -> Iterator[StudySession]:
        """One transaction for ``actor``: committed on success, rolled back on any error.

        A write that breaks a uniqueness or foreign-key constraint raises :class:`Conflict`, any
        other database failure :class:`StorageError` (the driver's exception is the cause of
        each), so no caller handles driver exceptions.
        """
        with self._sessions() as session:
            session.info["actor"] = actor
            session.info["reason"] = reason
            try:
                yield session
                session.commit()
            except IntegrityError as error:
                session.rollback()
                raise Conflict() from error
            except SQLAlchemyError as error:
                session.rollback()
                raise storage_error(error, url=self.engine.url) from error
            except BaseException:
                session.rollback()
                raise
