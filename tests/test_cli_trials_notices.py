"""A saved search's subscriber is told of newly matching trials: a real registry folder, a real SQLite study.

``remission trials search save --subscriber``, ``trials import`` and ``trials search run`` are run
through the entry point; the subscriber's inbox is read through the store as that user.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.support.cli import run_cli

from remission.store import (
    Actor,
    Store,
    actor_for_user,
    list_notifications,
    notification_dict,
    user_by_username,
)
from remission.trials import Registry
from support.records import make_record

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "trials" / "fixtures"
AS_OF = "2026-11-21"
PASSWORD = "correct horse battery staple 42\n"
#: A child whom the fixture study NCT99000001 (study_single.json) newly matches, as "needs review".
CHILD = {"patient": {"date_of_birth": "2025-01-15"}, "diagnosis": {"date": "2025-06-01"}}


def run(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=REPO, stdin=stdin, env={"HOME": str(REPO / "nonexistent-home"), **(env or {})})


@pytest.fixture
def study(tmp_path: Path) -> str:
    """A migrated SQLite study with the site SEV and two coordinators there, kim and lee."""
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    assert run("db", "upgrade", "--database", url).returncode == 0
    assert run("site", "add", "SEV", "--name", "Severance", "--database", url).returncode == 0
    for name in ("kim", "lee"):
        args = ["--username", name, "--role", "coordinator", "--site", "SEV", "--reason", "test"]
        added = run("user", "add", *args, "--database", url, stdin=PASSWORD)
        assert added.returncode == 0, added.stderr
    return url


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    return tmp_path / "registry"


@pytest.fixture
def child(tmp_path: Path) -> Path:
    path = tmp_path / "child.json"
    path.write_text(json.dumps(make_record(**CHILD)), "utf-8")
    return path


def trials(*args: str, registry: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run("trials", *args, "--registry", str(registry), env=env)


def save(child: Path, registry: Path, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return trials("search", "save", str(child), "--name", name, "--as-of", AS_OF, *extra, registry=registry)


def inbox(url: str, username: str) -> list[dict[str, Any]]:
    """The inbox of ``username``, read as that user."""
    store = Store.open(url, migrated=True)
    try:
        with store.session(Actor.for_system("test")) as session:
            actor = actor_for_user(session, user_id=user_by_username(session, username=username).id)
        assert actor is not None
        with store.session(actor) as session:
            return [notification_dict(n) for n in list_notifications(session)]
    finally:
        store.engine.dispose()


class TestSubscriberIsTold:
    def test_an_import_tells_the_subscriber_once_and_a_second_run_adds_nothing(
        self, study: str, registry: Path, child: Path
    ) -> None:
        """Saved with --subscriber kim, an import of a newly matching trial puts one notice in kim's
        inbox; running the search again, or importing again, adds none."""
        saved = save(child, registry, "inf-01", "--subscriber", "kim", "--database", study)
        assert saved.returncode == 0, saved.stderr
        assert inbox(study, "kim") == []

        imported = trials(
            "import",
            str(FIXTURES / "study_single.json"),
            "--as-of",
            AS_OF,
            "--database",
            study,
            registry=registry,
        )
        assert imported.returncode == 0, imported.stderr
        assert "new: NCT99000001 — needs review" in imported.stdout
        assert "told kim (1 new in the inbox)" in imported.stdout
        [notice] = inbox(study, "kim")
        assert notice["kind"] == "trial match"
        assert notice["read"] is False
        assert "NCT99000001" in notice["summary"]
        assert "inf-01" in notice["summary"]
        assert "needs review" in notice["summary"]
        assert inbox(study, "lee") == []

        again = trials("search", "run", "--as-of", AS_OF, "--database", study, registry=registry)
        assert again.returncode == 0, again.stderr
        assert "search inf-01 (INF-001): nothing new" in again.stdout
        reimported = trials(
            "import",
            str(FIXTURES / "study_single.json"),
            "--as-of",
            AS_OF,
            "--database",
            study,
            registry=registry,
        )
        assert reimported.returncode == 0, reimported.stderr
        assert len(inbox(study, "kim")) == 1

    def test_search_run_reaches_the_database_named_by_the_environment(
        self, study: str, registry: Path, child: Path
    ) -> None:
        """With $REMISSION_DATABASE_URL and no --database, search run tells kim; the JSON says how many."""
        env = {"REMISSION_DATABASE_URL": study}
        saved = trials(
            "search",
            "save",
            str(child),
            "--name",
            "inf-01",
            "--subscriber",
            "kim",
            registry=registry,
            env=env,
        )
        assert saved.returncode == 0, saved.stderr
        assert saved.stderr == ""
        Registry(registry).import_files([FIXTURES / "study_single.json"], imported_on=date.today())
        result = trials("search", "run", "--as-of", AS_OF, "--json", registry=registry, env=env)
        assert result.returncode == 0, result.stderr
        [search] = json.loads(result.stdout)
        assert (search["subscriber"], search["notified"]) == ("kim", 1)
        assert [n["kind"] for n in inbox(study, "kim")] == ["trial match"]


class TestNothingIsGuessed:
    def test_saving_refuses_a_subscriber_who_is_no_account(
        self, study: str, registry: Path, child: Path
    ) -> None:
        """--subscriber naming no account of the study is one line on stderr, exit 2, and nothing saved."""
        result = save(child, registry, "inf-01", "--subscriber", "nobody", "--database", study)
        assert result.returncode == 2
        assert result.stderr.strip().count("\n") == 0
        assert "--subscriber" in result.stderr
        assert "'nobody'" in result.stderr
        assert "Traceback" not in result.stderr
        assert not (registry / "searches" / "inf-01.json").exists()

    def test_a_deactivated_subscriber_is_reported_and_the_other_search_is_told(
        self, study: str, registry: Path, child: Path
    ) -> None:
        """A subscriber deactivated since saving gets one stderr line; the run exits 0 and tells the other."""
        assert save(child, registry, "for-kim", "--subscriber", "kim", "--database", study).returncode == 0
        assert save(child, registry, "for-lee", "--subscriber", "lee", "--database", study).returncode == 0
        gone = run("user", "deactivate", "lee", "--reason", "left the study", "--database", study)
        assert gone.returncode == 0, gone.stderr
        result = trials(
            "import",
            str(FIXTURES / "study_single.json"),
            "--as-of",
            AS_OF,
            "--database",
            study,
            registry=registry,
        )
        assert result.returncode == 0, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        assert "search for-lee" in lines[0]
        assert "no active user 'lee'" in lines[0]
        assert len(inbox(study, "kim")) == 1

    def test_without_a_database_nobody_is_told_and_stderr_says_so(
        self, study: str, registry: Path, child: Path
    ) -> None:
        """With no database configured, saving warns that kim was not checked, and the import warns that
        kim was not told; both exit 0."""
        saved = save(child, registry, "inf-01", "--subscriber", "kim")
        assert saved.returncode == 0, saved.stderr
        assert "not checked against the study's accounts" in saved.stderr
        imported = trials("import", str(FIXTURES / "study_single.json"), "--as-of", AS_OF, registry=registry)
        assert imported.returncode == 0, imported.stderr
        [line] = imported.stderr.strip().splitlines()
        assert "kim was not told of 1 newly matching trial: no study database" in line
        assert inbox(study, "kim") == []

    def test_the_list_shows_the_subscriber(self, study: str, registry: Path, child: Path) -> None:
        """search list gives each search's subscriber, or none."""
        assert save(child, registry, "with", "--subscriber", "kim", "--database", study).returncode == 0
        assert save(child, registry, "without").returncode == 0
        listed = trials("search", "list", "--json", registry=registry)
        assert {s["name"]: s["subscriber"] for s in json.loads(listed.stdout)} == {
            "with": "kim",
            "without": None,
        }
        table = trials("search", "list", registry=registry)
        assert "subscriber" in table.stdout
        assert "kim" in table.stdout
