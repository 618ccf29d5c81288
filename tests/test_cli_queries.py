"""``remission queries``: open, answer, close and re-open a data query from the command line, with
the store's role rules for ``--as-user`` and one line (exit 2) for every refusal."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest
from tests.support.cli import run_cli

from remission.store import Actor, Role, Store, accounts, make_engine, register_patient, upgrade

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple 42"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=REPO)


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A study with sites SEV and SNU, a data manager, a coordinator at each site and patient SEV-1."""
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    store = Store(engine)
    with store.session(Actor.for_system("test")) as session:
        site = accounts.add_site(session, code="SEV", name="Severance").id
        accounts.add_site(session, code="SNU", name="Seoul National")
        for username, role, code in (
            ("dm", Role.DATA_MANAGER, None),
            ("coord", Role.COORDINATOR, "SEV"),
            ("coord-snu", Role.COORDINATOR, "SNU"),
        ):
            accounts.add_user(
                session, username=username, full_name=username, password=PASSWORD, role=role, site_code=code
            )
        register_patient(
            session,
            study_id="SEV-1",
            site_id=site,
            sex="female",
            date_of_birth=date(2024, 3, 1),
            baseline={},
            identifiers=None,
            today=date(2026, 11, 1),
        )
    engine.dispose()
    return url


def queries(database: str, *args: str, as_user: str | None = None) -> subprocess.CompletedProcess[str]:
    user = ["--as-user", as_user] if as_user else []
    return run("queries", *args, "--database", database, *user)


def opened(database: str) -> dict:
    answer = queries(
        database,
        "open",
        "--patient",
        "SEV-1",
        "--form",
        "baseline",
        "--field",
        "wbc_at_diagnosis_1e9_per_l",
        "--text",
        "WBC missing",
        "--json",
        as_user="dm",
    )
    assert answer.returncode == 0, answer.stderr
    return json.loads(answer.stdout)


class TestWorkflow:
    def test_open_answer_close_as_the_roles_allow(self, database: str):
        """The data manager opens, the coordinator answers, the data manager closes; show prints it."""
        query = opened(database)
        assert (query["state"], query["study_id"], query["version"]) == ("open", "SEV-1", 1)
        waiting = queries(database, "list", "--waiting-for-me", "--json", as_user="coord")
        assert [q["id"] for q in json.loads(waiting.stdout)] == [query["id"]]
        answered = queries(
            database,
            "answer",
            str(query["id"]),
            "--version",
            "1",
            "--text",
            "Entered now",
            "--json",
            as_user="coord",
        )
        assert answered.returncode == 0, answered.stderr
        assert json.loads(answered.stdout)["state"] == "answered"
        closed = queries(database, "close", str(query["id"]), "--version", "2", "--text", "OK", as_user="dm")
        assert closed.returncode == 0, closed.stderr
        shown = queries(database, "show", str(query["id"]))
        assert "closed" in shown.stdout
        assert "coord  answer: Entered now" in shown.stdout
        reopened = queries(
            database, "reopen", str(query["id"]), "--version", "3", "--text", "Again", as_user="dm"
        )
        assert reopened.returncode == 0, reopened.stderr
        listed = queries(database, "list", "--state", "re-opened")
        assert "SEV-1" in listed.stdout


class TestRefusals:
    @pytest.mark.parametrize(
        ("args", "as_user", "message"),
        [
            (("open", "--patient", "SEV-1", "--form", "labs", "--text", "x"), "dm", "form: must be one of"),
            (("open", "--patient", "SEV-1", "--form", "mrd", "--text", "x"), "coord", "may not open queries"),
            (("open", "--patient", "NOPE", "--form", "mrd", "--text", "x"), "dm", "NOPE: no such patient"),
            (("list", "--state", "pending"), None, "pending: must be one of"),
            (("list", "--site", "XYZ"), None, "site XYZ not found"),
        ],
    )
    def test_bad_input_is_one_line_and_exit_2(self, database: str, args, as_user, message):
        """An unknown form, patient, state or site, or a role that may not, exits 2 without a traceback."""
        answer = queries(database, *args, as_user=as_user)
        assert answer.returncode == 2, answer.stdout
        assert message in answer.stderr
        assert "Traceback" not in answer.stderr

    def test_a_wrong_step_and_a_stale_version_exit_2(self, database: str):
        """Closing a closed query names its state; a stale version says it changed."""
        query_id = str(opened(database)["id"])
        assert (
            queries(database, "close", query_id, "--version", "1", "--text", "x", as_user="dm").returncode
            == 0
        )
        again = queries(database, "close", query_id, "--version", "2", "--text", "x", as_user="dm")
        assert (again.returncode, "is closed" in again.stderr) == (2, True)
        stale = queries(database, "reopen", query_id, "--version", "1", "--text", "x", as_user="dm")
        assert (stale.returncode, "has changed" in stale.stderr) == (2, True)

    def test_another_sites_coordinator_does_not_find_the_query(self, database: str):
        """Another site's query is not found, not forbidden."""
        query_id = str(opened(database)["id"])
        answer = queries(database, "show", query_id, as_user="coord-snu")
        assert answer.returncode == 2
        assert "not found" in answer.stderr
