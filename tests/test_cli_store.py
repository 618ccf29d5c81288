"""The store commands (db, site, user, audit), run in-process through the entry point, on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pytest_postgresql.janitor import DatabaseJanitor
from tests.support.cli import run_cli

from remission.store import accounts
from remission.store.actor import Actor
from remission.store.audit_verification import verify_chain
from remission.store.database import Store, make_engine
from remission.store.migrations_api import upgrade
from remission.store.vocabulary import Role

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "a long enough password"
_names = itertools.count()


def run(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=REPO, stdin=stdin, env=env)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (no schema yet): a new SQLite file, or a new PostgreSQL database.

    The PostgreSQL URL is given in the plain ``postgresql://`` form a user would type.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cli.sqlite'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"remission_cli_{next(_names)}"
    janitor = DatabaseJanitor(user="postgres", host="127.0.0.1", port=server.port, dbname=name)
    janitor.init()
    try:
        yield f"postgresql://postgres@127.0.0.1:{server.port}/{name}"
    finally:
        janitor.drop()


def seed(url: str) -> str:
    """Add the site SEV (and so a few audit entries) to a migrated database; return the URL."""
    store = Store.open(url)
    try:
        with store.session(Actor.for_system("test")) as session:
            accounts.add_site(session, code="SEV", name="Severance Hospital")
    finally:
        store.engine.dispose()
    return url


@pytest.fixture
def study(database_url: str) -> str:
    """A migrated database of each back end (from the shared fixture) with the site SEV."""
    return seed(database_url)


@pytest.fixture
def sqlite_study(tmp_path: Path) -> str:
    """A migrated SQLite study database with the site SEV, for errors that do not depend on the back end."""
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return seed(url)


def chain_report(url: str):
    engine = Store.open(url).engine
    try:
        with engine.connect() as connection:
            return verify_chain(connection)
    finally:
        engine.dispose()


def users(url: str) -> list[str]:
    engine = Store.open(url).engine
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.exec_driver_sql("SELECT username FROM users ORDER BY id")]
    finally:
        engine.dispose()


def _unguarded(url: str, trigger: str, statement: str, seq: int, table: str = "audit_entries") -> None:
    """Lift the database's guard on the audit table and run ``statement``, as a rogue operator could."""
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            connection.execute(f"DROP TRIGGER {trigger}")
            connection.execute(statement.replace("%s", "?"), (seq,))
            connection.commit()
        finally:
            connection.close()
        return
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        connection.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        connection.execute(statement, (seq,))


def tamper(url: str, seq: int) -> None:
    """Alter one entry behind the guard."""
    _unguarded(
        url, "audit_no_update", "UPDATE audit_entries SET new_value = '\"Mallory\"' WHERE seq = %s", seq
    )


def cut_tail(url: str, seq: int) -> None:
    """Delete the chain's entries and their seals from ``seq`` on, behind the guards."""
    _unguarded(url, "audit_no_delete", "DELETE FROM audit_entries WHERE seq >= %s", seq)
    _unguarded(url, "audit_seals_no_delete", "DELETE FROM audit_seals WHERE seq >= %s", seq, "audit_seals")


def printed_head(verified: subprocess.CompletedProcess[str]) -> str:
    """The ``SEQ:HASH`` that ``audit verify`` printed as the head."""
    line = next(line for line in verified.stdout.splitlines() if line.startswith("head "))
    return line.rsplit(" ", 1)[-1]


class TestStoreCommands:
    def test_upgrade_add_site_and_user_then_verify(self, empty_database: str):
        """On an empty database: db upgrade, site add, user add (password on stdin), audit verify intact."""
        url = empty_database
        upgraded = run("db", "upgrade", "--database", url)
        assert upgraded.returncode == 0, upgraded.stderr
        assert "database at revision 0016" in upgraded.stdout
        site = run("site", "add", "SEV", "--name", "Severance Hospital", "--database", url)
        assert (site.returncode, site.stdout.strip()) == (0, "site SEV added (id 1)")
        user = run(
            "user", "add", "--username", "alice", "--role", "coordinator", "--site", "SEV", "--database", url,
            stdin=PASSWORD + "\n",
        )  # fmt: skip
        assert (user.returncode, user.stdout.strip()) == (0, "user alice added as coordinator at SEV")
        verified = run("audit", "verify", "--database", url)
        report = chain_report(url)
        assert report.intact
        assert report.entries > 0
        assert (verified.returncode, verified.stdout.strip().splitlines()[:2]) == (
            0,
            [
                f"audit trail intact: {report.entries} entries",
                f"head (keep it to verify with --anchor): {report.head[0]}:{report.head[1]}",
            ],
        )
        assert "public development key" in verified.stdout
        store = Store.open(url)
        try:
            with store.session(Actor.for_system("test")) as session:
                alice = accounts.authenticate(session, username="alice", password=PASSWORD)
                assert accounts.authenticate(session, username="alice", password=PASSWORD + "\n") is None
        finally:
            store.engine.dispose()
        assert alice is not None
        assert set().union(*alice.site_roles.values()) == {Role.COORDINATOR}

    def test_tampering_is_reported(self, study: str):
        """After an entry is altered behind the guard, audit verify exits 1 naming that entry."""
        tamper(study, 2)
        verified = run("audit", "verify", "--database", study)
        assert verified.returncode == 1
        assert "audit trail broken at entry 2" in verified.stdout
        assert "altered" in verified.stdout

    def test_anchor_reveals_entries_cut_from_the_end(self, study: str):
        """A head printed earlier, given as --anchor, exposes a chain whose last entries were removed."""
        head = printed_head(run("audit", "verify", "--database", study))
        assert run("audit", "verify", "--database", study, "--anchor", head).returncode == 0
        seq = int(head.split(":")[0])
        cut_tail(study, seq)
        plain = run("audit", "verify", "--database", study)
        assert plain.returncode == 0  # entries and seals both cut: only something kept outside can tell
        anchored = run("audit", "verify", "--database", study, "--anchor", head)
        assert anchored.returncode == 1
        assert f"the chain ends at entry {seq - 1}, but the anchor names entry {seq}" in anchored.stdout

    @pytest.mark.parametrize("anchor", ["12", "x:" + "a" * 64, "3:" + "A" * 64, "0:" + "a" * 64, "3:abc"])
    def test_malformed_anchor_exits_2(self, sqlite_study: str, anchor: str):
        """An anchor that is not SEQ:HASH exits 2 naming --anchor."""
        result = run("audit", "verify", "--database", sqlite_study, "--anchor", anchor)
        assert result.returncode == 2
        assert "--anchor" in result.stderr

    def test_short_password_is_refused(self, study: str):
        """A password under 12 characters exits 2 with a message, and no user is created."""
        result = run(
            "user", "add", "--username", "carol", "--role", "monitor", "--database", study, stdin="short\n"
        )  # fmt: skip
        assert result.returncode == 2
        assert "password" in result.stderr
        assert "at least 12 characters" in result.stderr
        assert users(study) == []

    def test_site_role_without_site(self, study: str):
        """A site-level role without --site exits 2 asking for --site."""
        result = run(
            "user", "add", "--username", "dave", "--role", "investigator", "--database", study,
            stdin=PASSWORD + "\n",
        )  # fmt: skip
        assert result.returncode == 2
        assert "give --site" in result.stderr
        assert users(study) == []


class TestArgumentErrors:
    def test_study_role_with_site(self, sqlite_study: str):
        """A study-level role with --site exits 2."""
        result = run(
            "user", "add", "--username", "erin", "--role", "monitor", "--site", "SEV",
            "--database", sqlite_study, stdin=PASSWORD + "\n",
        )  # fmt: skip
        assert result.returncode == 2
        assert "study-wide" in result.stderr
        assert users(sqlite_study) == []

    def test_unknown_role(self, sqlite_study: str):
        """An unknown role exits 2 with a usage error naming --role."""
        result = run(
            "user", "add", "--username", "frank", "--role", "superuser", "--database", sqlite_study,
            stdin=PASSWORD + "\n",
        )  # fmt: skip
        assert result.returncode == 2
        assert "--role" in result.stderr
        assert users(sqlite_study) == []

    def test_unknown_site(self, sqlite_study: str):
        """A site code that does not exist exits 2 without a traceback."""
        result = run(
            "user", "add", "--username", "gina", "--role", "coordinator", "--site", "XYZ",
            "--database", sqlite_study, stdin=PASSWORD + "\n",
        )  # fmt: skip
        assert result.returncode == 2
        assert "XYZ" in result.stderr
        assert "Traceback" not in result.stderr
        assert users(sqlite_study) == []

    def test_taken_site_code(self, sqlite_study: str):
        """Adding a site whose code exists exits 2."""
        result = run("site", "add", "SEV", "--name", "Again", "--database", sqlite_study)
        assert result.returncode == 2
        assert "exists already" in result.stderr

    def test_bad_database_url(self):
        """A URL of an unsupported database exits 2 naming --database."""
        result = run("audit", "verify", "--database", "mysql://x")
        assert result.returncode == 2
        assert "--database" in result.stderr
        assert re.search(r"sqlite:///.*postgresql://", result.stderr)
        assert "Traceback" not in result.stderr

    def test_database_from_environment(self, sqlite_study: str):
        """Without --database the URL comes from REMISSION_DATABASE_URL."""
        result = run("audit", "verify", env={"REMISSION_DATABASE_URL": sqlite_study})
        assert result.returncode == 0, result.stderr
        first_line = result.stdout.strip().splitlines()[0]
        assert first_line == f"audit trail intact: {chain_report(sqlite_study).entries} entries"


#: A PostgreSQL URL on a closed local port: every connection is refused at once.
UNREACHABLE = "postgresql://u:secret@127.0.0.1:1/x"


class TestDatabaseErrors:
    @pytest.mark.parametrize(
        "args",
        [
            ("db", "upgrade"),
            ("site", "add", "SEV", "--name", "Severance Hospital"),
            ("audit", "verify"),
            ("export", "--format", "csv", "--out", "never-written.csv"),
            ("serve",),
            ("web",),
            ("demo",),
        ],
    )
    def test_unreachable_postgresql_is_one_line_without_the_password(self, args: tuple[str, ...]):
        """A refused connection exits 2 with one line naming the URL (password hidden) and the fix."""
        result = run(*args, "--database", UNREACHABLE)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            "error: the database at postgresql://u:***@127.0.0.1:1/x: connection failed: connection to "
            'server at "127.0.0.1", port 1 failed: Connection refused; check the URL, and that the '
            "database server is running and accepts connections"
        ]
        assert "secret" not in result.stdout + result.stderr
        assert not (REPO / "never-written.csv").exists()

    @pytest.mark.parametrize(
        ("args", "stdin"),
        [
            (("site", "add", "SEV", "--name", "Severance Hospital"), ""),
            (("user", "add", "--username", "alice", "--role", "monitor"), PASSWORD + "\n"),
            (("audit", "verify"), ""),
            (("export", "--format", "csv", "--out", "out.csv"), ""),
        ],
    )
    def test_a_fresh_sqlite_path_is_not_created(self, tmp_path: Path, args: tuple[str, ...], stdin: str):
        """A command needing a study, given a missing SQLite file, asks for db upgrade and creates none."""
        path = tmp_path / "fresh.sqlite"
        result = run(*args, "--database", f"sqlite:///{path}", stdin=stdin)
        assert result.returncode == 2
        assert "no database file there; run remission db upgrade" in result.stderr
        assert "Traceback" not in result.stderr
        assert list(tmp_path.iterdir()) == []

    def test_an_unmigrated_database_asks_for_db_upgrade(self, empty_database: str):
        """site add on an existing database without the schema exits 2 in one line asking for db upgrade."""
        if empty_database.startswith("sqlite"):
            sqlite3.connect(empty_database.removeprefix("sqlite:///")).close()
        result = run("site", "add", "SEV", "--name", "Severance Hospital", "--database", empty_database)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.strip().endswith("no remission study schema there; run remission db upgrade")
        upgraded = run("db", "upgrade", "--database", empty_database)
        assert upgraded.returncode == 0, upgraded.stderr
        added = run("site", "add", "SEV", "--name", "Severance Hospital", "--database", empty_database)
        assert (added.returncode, added.stdout.strip()) == (0, "site SEV added (id 1)")


class TestServing:
    @pytest.mark.parametrize(
        ("command", "where"),
        [
            ("serve", "Serving the REST API at http://127.0.0.1:8123/api/v1"),
            ("web", "Serving http://127.0.0.1:8123/ (API at /api/v1"),
        ],
    )
    def test_server_commands_say_where_they_listen(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, where: str
    ):
        """serve and web print the address they listen on (and the database) before they serve."""
        import uvicorn

        served: list[dict[str, object]] = []
        monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(options))
        url = f"sqlite:///{tmp_path / 'served.sqlite'}"
        result = run(command, "--database", url, "--port", "8123")
        assert result.returncode == 0, result.stderr
        assert where in result.stdout
        assert url in result.stdout
        assert served == [{"host": "127.0.0.1", "port": 8123, "log_level": "warning"}]


class TestExportMessages:
    def test_an_existing_file_names_the_overwrite_flag(self, sqlite_study: str, tmp_path: Path):
        """export onto an existing file exits 2 naming --out and the --overwrite flag, and keeps the file."""
        target = tmp_path / "endpoints.csv"
        target.write_text("keep me")
        refused = run("export", "--format", "csv", "--out", str(target), "--database", sqlite_study)
        assert refused.returncode == 2
        assert "--out" in refused.stderr
        assert "give --overwrite to replace it" in refused.stderr
        assert "give overwrite" not in refused.stderr
        assert target.read_text() == "keep me"
        replaced = run(
            "export", "--format", "csv", "--out", str(target), "--database", sqlite_study, "--overwrite"
        )
        assert replaced.returncode == 0, replaced.stderr
        assert target.read_text() != "keep me"
