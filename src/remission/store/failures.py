"""Database failures as :class:`StorageError`: the URL without its password, the driver's words, the fix.

Every way into the database (a session, a migration, the audit check, the schema check) turns a
SQLAlchemy or driver exception into a :class:`StorageError` here, so no caller above the store
handles driver exceptions or shows a password.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import URL, Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from remission.store.errors import StorageError

#: What to do when the database cannot be reached.
CONNECT_FIX = "check the URL, and that the database server is running and accepts connections"
#: What to do when the database has no remission schema, or an old one.
UPGRADE_FIX = "run remission db upgrade"
#: SQLSTATE of PostgreSQL's "relation does not exist", and SQLite's words for the same.
_NO_TABLE = ("42P01", "no such table")


def display_url(url: str | URL) -> str:
    """``url`` as a user may see it: the password hidden (``***``), in the form a user types."""
    rendered = make_url(url).render_as_string(hide_password=True)
    return rendered.replace("postgresql+psycopg://", "postgresql://", 1)


def _driver_words(error: SQLAlchemyError) -> str:
    """The first line the driver gave (without SQLAlchemy's statement and link)."""
    driver = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = [line.strip() for line in str(driver).splitlines() if line.strip()]
    return lines[0] if lines else type(driver).__name__


def _fix(error: SQLAlchemyError) -> str | None:
    if isinstance(error, DBAPIError):
        if error.statement is None or error.connection_invalidated:
            return CONNECT_FIX
        sqlstate = getattr(error.orig, "sqlstate", None)
        if sqlstate == _NO_TABLE[0] or _NO_TABLE[1] in str(error.orig):
            return UPGRADE_FIX
    return None


def storage_error(error: SQLAlchemyError, *, url: URL) -> StorageError:
    """The :class:`StorageError` for a failure at ``url`` (raise it ``from error``)."""
    detail = f"{type(error).__name__}: {error}"
    words = _driver_words(error)
    if url.password:
        secret = str(url.password)
        detail, words = detail.replace(secret, "***"), words.replace(secret, "***")
    return StorageError(detail, url=display_url(url), problem=words, fix=_fix(error))


@contextmanager
def storage_errors(engine: Engine) -> Iterator[None]:
    """Raise any SQLAlchemy failure inside the block as a :class:`StorageError` for ``engine``."""
    try:
        yield
    except SQLAlchemyError as error:
        raise storage_error(error, url=engine.url) from error
