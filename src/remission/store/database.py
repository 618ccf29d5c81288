"""Database URLs, engines and units of work.

One URL picks the database: a SQLite file (the embedded default) or PostgreSQL
(``postgresql+psycopg://user@host/db``). Nothing else changes between them.
"""

from __future__ import annotations

import logging
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
from remission.store.audit_checkpoints import Checkpoint
from remission.store.audit_sealing import after_audited_commit, seal_chain, write_checkpoint
from remission.store.audit_settings import AuditSettings, audit_settings_from_environment
from remission.store.audit_verification import ChainReport, verify_chain
from remission.store.errors import Conflict, Refused, StorageError
from remission.store.failures import UPGRADE_FIX, display_url, storage_error, storage_errors
from remission.store.migrations_api import current_revision, head_revision
from remission.store.session import StudySession

DEFAULT_DATABASE_URL = "sqlite:///remission.sqlite"
URL_VARIABLE = "REMISSION_DATABASE_URL"
_log = logging.getLogger(__name__)


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
    """The study store: an engine, the audit trail's keys, and sessions that always act for an actor."""

    def __init__(self, engine: Engine, *, audit: AuditSettings | None = None) -> None:
        """A store on ``engine``; ``audit`` gives the audit keys (by default from the environment,
        which raises :class:`InputError` outside development without a strong key)."""
        self.engine = engine
        self.audit = audit or audit_settings_from_environment()
        self._sessions = sessionmaker(engine, class_=StudySession, expire_on_commit=False)

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        existing: bool = False,
        migrated: bool = False,
        audit: AuditSettings | None = None,
    ) -> Store:
        """The store at ``url`` (see :func:`database_url`) with the ``audit`` settings (by default
        from the environment).

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
        settings = audit or audit_settings_from_environment()
        store = cls(make_engine(chosen), audit=settings)
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

    def verify_audit(
        self, *, anchor: tuple[int, str] | None = None, checkpoint: Checkpoint | None = None
    ) -> ChainReport:
        """Check the audit chain's links, MACs, seals and checkpoints with this store's keys
        (see :func:`remission.store.audit_verification.verify_chain`)."""
        with storage_errors(self.engine), self.engine.connect() as connection:
            return verify_chain(connection, settings=self.audit, anchor=anchor, checkpoint=checkpoint)

    def checkpoint_audit(self) -> Checkpoint:
        """Seal the chain and write a signed checkpoint of its head now.

        Raises :class:`Refused` without a signing key, with nothing to checkpoint, or when an
        entry cannot be sealed (verify the trail to see why).
        """
        signer = self.audit.signer
        if signer is None:
            raise Refused("REMISSION_AUDIT_SIGNING_KEY_FILE", "no checkpoint signing key is configured")
        with storage_errors(self.engine), self.engine.begin() as connection:
            sealing = seal_chain(connection, self.audit.keyring)
            if sealing.problem is not None:
                raise Refused(
                    "audit trail", f"cannot be sealed ({sealing.problem}); run remission audit verify"
                )
            checkpoint = write_checkpoint(connection, signer)
        if checkpoint is None:
            raise Refused("audit trail", "empty: there is nothing to checkpoint")
        return checkpoint

    def _after_audited_commit(self) -> None:
        """Seal what the COMMIT added and write a checkpoint if one is due.

        The write has committed: a failure here must not make it look failed. It is logged, and
        the next audited COMMIT (or ``remission audit checkpoint``) seals what is left.
        """
        try:
            with self.engine.begin() as connection:
                after_audited_commit(connection, self.audit)
        except SQLAlchemyError:
            _log.warning("sealing the audit trail after a commit failed", exc_info=True)

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
            session.info["audit"] = self.audit
            try:
                yield session
                session.commit()
                audited = bool(session.info.get("audited"))
            except IntegrityError as error:
                session.rollback()
                raise Conflict() from error
            except SQLAlchemyError as error:
                session.rollback()
                raise storage_error(error, url=self.engine.url) from error
            except BaseException:
                session.rollback()
                raise
        if audited:
            self._after_audited_commit()
