"""``remission cohort build`` on the demo database, then ``remission trials match --cohort`` on its file."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.support.cli import run_cli

from remission.rules.columnar import read_cohort
from remission.trials import Registry, screen_for_trial

REPO = Path(__file__).resolve().parents[1]
TODAY = date.today()


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=REPO, stdin=stdin)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database loaded by ``remission demo``, with a coordinator at SYN-A and a statistician."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    assert run("demo", "--database", url).returncode == 0
    password = "correct horse battery staple 42\n"
    for name, role, site in (("coord-a", "coordinator", "SYN-A"), ("stat", "statistician", None)):
        args = ["user", "add", "--username", name, "--role", role, "--reason", "test", "--database", url]
        added = run(*args, *(["--site", site] if site else []), stdin=password)
        assert added.returncode == 0, added.stderr
    return url


@pytest.fixture(scope="module")
def built(demo: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The operator's cohort file of the demo study."""
    path = tmp_path_factory.mktemp("cohort") / "cohort.parquet"
    result = run("cohort", "build", "--database", demo, "--out", str(path))
    assert result.returncode == 0, result.stderr
    return path


class TestBuildThenMatch:
    def test_match_reads_the_file_with_no_unknown_column(self, built: Path, tmp_path: Path):
        """trials match --cohort exits 0 and prints no unknown-column or missing-column line."""
        registry = tmp_path / "registry"
        registry.mkdir()
        result = run("trials", "match", "--registry", str(registry), "--cohort", str(built), "--json")
        assert result.returncode == 0, result.stderr
        assert "unknown column" not in result.stderr
        assert "column is missing" not in result.stderr
        assert json.loads(result.stdout)["records"] == 258

    def test_cohort_verdicts_equal_screening_each_record(self, built: Path, tmp_path: Path):
        """Every record × trial verdict of --out equals screen_for_trial on that record."""
        registry = tmp_path / "registry"
        registry.mkdir()
        verdicts = tmp_path / "verdicts.parquet"
        args = [
            "trials",
            "match",
            "--registry",
            str(registry),
            "--cohort",
            str(built),
            "--out",
            str(verdicts),
        ]
        assert run(*args).returncode == 0
        got = {(r["study_id"], r["trial"]): r["verdict"] for r in pq.read_table(verdicts).to_pylist()}
        cohort = read_cohort(built, today=TODAY)
        trials = Registry(registry).trials()
        expected = {
            (cohort.study_ids[row], trial.id): screen_for_trial(
                cohort.record(row), trial, as_of=TODAY
            ).verdict.value
            for row in range(len(cohort))
            for trial in trials
        }
        assert got == expected
        eligible = sum(
            1 for (_, trial), verdict in got.items() if trial == "NCT06516679" and verdict == "eligible"
        )
        assert eligible == 245  # the enrolled demo patients, with their stored attestations

    def test_not_recorded_values_stay_null(self, built: Path):
        """The demo's examples lack some fields: those cells are null, never filled in."""
        table = pq.read_table(built)
        rows = {r["patient.study_id"]: r for r in table.select(["patient.study_id", "syndromes"]).to_pylist()}
        assert rows["INF-06"]["syndromes"] is None


class TestViewer:
    def test_a_coordinator_gets_their_site_with_dates_of_birth(self, demo: str, tmp_path: Path):
        """coord-a (SYN-A) reads only SYN-A's patients, and sees their dates of birth."""
        path = tmp_path / "a.parquet"
        result = run("cohort", "build", "--database", demo, "--out", str(path), "--as-user", "coord-a")
        assert result.returncode == 0, result.stderr
        table = pq.read_table(path).to_pydict()
        assert set(table["patient.site"]) == {"SYN-A"}
        assert len(table["patient.site"]) == 80
        assert all(born is not None for born in table["patient.date_of_birth"])

    def test_a_statistician_gets_every_site_and_no_date_of_birth(self, demo: str, tmp_path: Path):
        """stat reads all 258 patients; every date of birth is null (not an identifier they may see)."""
        path = tmp_path / "s.parquet"
        assert (
            run("cohort", "build", "--database", demo, "--out", str(path), "--as-user", "stat").returncode
            == 0
        )
        table = pq.read_table(path).to_pydict()
        assert len(table["patient.study_id"]) == 258
        assert set(table["patient.date_of_birth"]) == {None}


class TestBadInput:
    @pytest.mark.parametrize(
        ("extra", "name", "message"),
        [
            (["--as-user", "nobody"], "c.parquet", "no active account of that name"),
            ([], "c.csv", "name a .parquet file"),
        ],
    )
    def test_bad_input_exits_2_without_a_traceback(self, demo, tmp_path, extra, name, message):
        """An unknown account or a file that is not .parquet: exit 2, the message, no traceback."""
        result = run("cohort", "build", "--database", demo, "--out", str(tmp_path / name), *extra)
        assert result.returncode == 2
        assert message in result.stderr
        assert "Traceback" not in result.stderr

    def test_an_existing_file_is_kept_without_overwrite(self, demo: str, built: Path):
        """Exit 2 and the file unchanged unless --overwrite is given."""
        before = built.read_bytes()
        result = run("cohort", "build", "--database", demo, "--out", str(built))
        assert result.returncode == 2
        assert "--overwrite" in result.stderr
        assert built.read_bytes() == before


class TestDue:
    """``remission due`` on the same demo database: the site's worklist from the schedules."""

    def test_the_worklist_lists_overdue_then_due_for_the_site_only(self, demo: str):
        answer = run("due", "--site", "SYN-A", "--as-of", "2026-12-02", "--database", demo, "--json")
        assert answer.returncode == 0, answer.stderr
        lines = json.loads(answer.stdout)
        assert lines
        assert {line["study_id"].rsplit("-", 1)[0] for line in lines} == {"SYN-A"}
        states = [line["state"] for line in lines]
        assert states == sorted(states, key=["overdue", "due"].index)
        assert all(line["due_until"] < "2026-12-02" for line in lines if line["state"] == "overdue")

    def test_a_coordinator_of_another_site_reads_nothing_there(self, demo: str):
        answer = run("due", "--site", "SYN-B", "--database", demo, "--as-user", "coord-a", "--json")
        assert answer.returncode == 0, answer.stderr
        assert json.loads(answer.stdout) == []

    def test_an_unknown_site_is_one_line_and_exit_2(self, demo: str):
        answer = run("due", "--site", "NOPE", "--database", demo)
        assert answer.returncode == 2
        assert "NOPE: no such site" in answer.stderr
        assert "Traceback" not in answer.stderr


class TestChecks:
    """``remission checks`` on the demo database: its late MRD result without a sensitivity fails two
    soft checks, whose queries the demo's write already opened."""

    def test_a_run_reports_the_findings_and_opens_no_duplicate(self, demo: str):
        answer = run("checks", "run", "--site", "SYN-A", "--database", demo, "--json")
        assert answer.returncode == 0, answer.stderr
        report = json.loads(answer.stdout)
        fired = {(f["study_id"], f["check"]) for f in report["findings"]}
        assert {check for _, check in fired} == {"mrd-sample-in-window", "mrd-sensitivity-recorded"}
        assert len({study_id for study_id, _ in fired}) == 1
        assert report["queries"] == {"opened": 0, "already_open": 2, "noted": 0}
        assert sum(sum(counts.values()) for counts in report["checks"].values()) >= report["rows"]
        assert "checked" in answer.stderr  # progress goes to stderr

    def test_list_names_each_check_and_an_unknown_protocol_is_exit_2(self):
        listed = run("checks", "list", "--protocol", "NCT06516679", "--json")
        assert listed.returncode == 0, listed.stderr
        assert {"ae-onset-not-before-diagnosis", "cumulative-anthracycline-review"} <= {
            check["id"] for check in json.loads(listed.stdout)
        }
        unknown = run("checks", "list", "--protocol", "NOPE")
        assert unknown.returncode == 2
        assert "NOPE: no such protocol" in unknown.stderr
        assert "Traceback" not in unknown.stderr
