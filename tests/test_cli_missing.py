"""``remission missing set|list|clear``: missing-data codes; bad input is one line and exit 2."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from tests.support.cli import run_cli
from tests.support.cli_study import cli_study

REPO = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=REPO)


@pytest.fixture
def study(tmp_path: Path) -> str:
    """A migrated SQLite study with the site SEV and the patient CLI-01, whose WBC is recorded."""
    return cli_study(
        tmp_path, baseline={"wbc_at_diagnosis_1e9_per_l": 12.0, "diagnosis": {"date": "2024-10-01"}}
    )


def test_set_list_and_clear_a_code(study: str):
    """A code on KMT2A status is listed with who recorded it, then cleared with a reason."""
    made = run(
        "missing", "set", "CLI-01", "--form", "baseline", "--field", "genetics.kmt2a.status",
        "--code", "not done", "--note", "no sample", "--database", study, "--json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    code = json.loads(made.stdout)
    assert (code["item"], code["code"], code["recorded_by"]) == (
        "baseline:genetics.kmt2a.status",
        "not done",
        "cli",
    )
    listed = run("missing", "list", "CLI-01", "--database", study, "--json")
    assert [c["id"] for c in json.loads(listed.stdout)] == [code["id"]]
    cleared = run(
        "missing", "clear", str(code["id"]), "--version", "1", "--reason", "sample found", "--database", study
    )
    assert cleared.returncode == 0, cleared.stderr
    assert json.loads(run("missing", "list", "CLI-01", "--database", study, "--json").stdout) == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--field", "wbc_at_diagnosis_1e9_per_l", "--code", "unknown"), "wbc_at_diagnosis_1e9_per_l: "),
        (("--field", "wbc", "--code", "unknown"), "field: 'wbc' is not a baseline field"),
        (("--field", "cns_status", "--code", "perhaps"), "code: 'perhaps' is not one of"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(study: str, args: tuple[str, ...], words: str):
    """A field with a value, an unknown field or an unknown code: exit 2, one line naming the field."""
    answer = run("missing", "set", "CLI-01", "--form", "baseline", *args, "--database", study)
    assert answer.returncode == 2
    assert len(answer.stderr.strip().splitlines()) == 1
    assert words in answer.stderr


def test_an_unknown_patient_or_stale_version_is_one_line(study: str):
    """An unknown study id and a stale version of a code each exit 2 with one line."""
    unknown = run("missing", "list", "NOPE", "--database", study)
    assert (unknown.returncode, len(unknown.stderr.strip().splitlines())) == (2, 1)
    made = run("missing", "set", "CLI-01", "--form", "baseline", "--field", "cns_status", "--code", "unknown",
               "--database", study, "--json")  # fmt: skip
    stale = run("missing", "clear", str(json.loads(made.stdout)["id"]), "--version", "7", "--reason", "x",
                "--database", study)  # fmt: skip
    assert stale.returncode == 2
    assert "version is now 1" in stale.stderr
