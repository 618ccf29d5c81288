"""Pytest fixtures: a migrated study database on SQLite and on a real PostgreSQL server.

``database_url`` is parametrised over both back ends, so every test that asks for it
runs twice. PostgreSQL databases are made per test by pytest-postgresql's
``DatabaseJanitor`` from a template migrated once per session; SQLite databases are copies
of a file migrated once per session. Nothing is mocked.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_postgresql.janitor import DatabaseJanitor
from tests.support.postgres_server import PostgresServer

from remission.store.database import Store, make_engine
from remission.store.migrations_api import upgrade

TEMPLATE = "remission_template"
_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    # One server per session, so one per pytest-xdist worker. Each gets a new folder (the basetemp's
    # name is popen-gwN in every run, so it would clash with a concurrent run); under /tmp, since the
    # server's Unix socket path must stay short.
    server = PostgresServer.start(Path(tempfile.mkdtemp(prefix="remission-pg-", dir="/tmp")))
    try:
        janitor = DatabaseJanitor(
            user="postgres", host="127.0.0.1", port=server.port, dbname=TEMPLATE, as_template=True
        )
        janitor.init()
        engine = make_engine(server.url(TEMPLATE))
        upgrade(engine)
        engine.dispose()
        yield server
    finally:
        server.stop()


def _postgres_database(server: PostgresServer) -> Iterator[str]:
    name = f"remission_test_{next(_counter)}"
    janitor = DatabaseJanitor(
        user="postgres", host="127.0.0.1", port=server.port, dbname=name, template_dbname=TEMPLATE
    )
    janitor.init()
    try:
        yield server.url(name)
    finally:
        janitor.drop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite study file, made once per session: copy it, never open it in a test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "study.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        # Everything into the main file, so a copy of that file alone is the whole database.
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def sqlite_copy(template: Path, folder: Path) -> str:
    """The URL of a private copy of the migrated ``template`` in ``folder``."""
    target = folder / "study.sqlite"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated study database on each back end."""
    if request.param == "sqlite":
        yield sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
        return
    yield from _postgres_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A :class:`Store` on a fresh database; its engine is disposed after the test."""
    opened = Store(make_engine(database_url))
    yield opened
    opened.engine.dispose()
