"""``remission sdv plan|status|verify``: the SDV plan, a patient's and a site's states, a monitor's mark."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from tests.support.cli import run_cli
from tests.support.cli_study import cli_study

from remission.store import Role, StudySession, accounts

REPO = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=REPO)


def _monitor(session: StudySession) -> None:
    accounts.add_user(
        session,
        username="mona",
        full_name="Mona Monitor",
        password="plinth gravel mango sofa",
        role=Role.MONITOR,
        site_code=None,
    )


@pytest.fixture
def study(tmp_path: Path) -> str:
    """A migrated SQLite study with site SEV, the patient CLI-01 and the monitor account ``mona``."""
    return cli_study(
        tmp_path, baseline={"diagnosis": {"date": "2024-10-01", "who_type": "B-ALL"}}, then=_monitor
    )


def test_the_plan_names_its_inputs_and_assumptions():
    """``sdv plan NCT06516679 --json`` lists the three entries, the risk inputs and no problem."""
    answer = run("sdv", "plan", "NCT06516679", "--json")
    assert answer.returncode == 0, answer.stderr
    plan = json.loads(answer.stdout)
    assert [entry["requires"] for entry in plan["entries"]] == [
        "eligibility inputs",
        "risk-group inputs",
        "form adverse-events where serious = true",
    ]
    assert plan["entries"][1]["record_paths"] == ["genetics.kmt2a.status"]
    assert all(entry["assumption"] for entry in plan["entries"])
    assert plan["problems"] == []


def test_a_monitor_verifies_an_item_and_status_shows_it(study: str):
    """``sdv verify`` as the monitor stores the mark; ``sdv status`` lists it with its verifier."""
    made = run(
        "sdv", "verify", "CLI-01", "--form", "baseline", "--field", "diagnosis.who_type",
        "--as-user", "mona", "--database", study, "--json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert (json.loads(made.stdout)["item"], json.loads(made.stdout)["verified_by"]) == (
        "baseline:diagnosis.who_type",
        "mona",
    )
    shown = run("sdv", "status", "--site", "SEV", "--database", study, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["site"] == "SEV"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ("--form", "baseline", "--field", "wbc", "--as-user", "mona"),
            "field: 'wbc' is not a baseline field",
        ),
        (("--form", "labs", "--as-user", "mona"), "form: 'labs' is not one of"),
        (
            ("--form", "patient", "--field", "sex"),
            "--as-user: marking source data verified is a monitor's act",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(study: str, args: tuple[str, ...], words: str):
    """An unknown path or form, or no monitor named: exit 2, one line naming the field."""
    answer = run("sdv", "verify", "CLI-01", *args, "--database", study)
    assert answer.returncode == 2
    assert answer.stderr.count("\n") == 1
    assert words in answer.stderr
