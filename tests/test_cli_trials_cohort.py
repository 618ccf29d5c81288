"""``remission trials match --cohort``: the columnar path gives each record the scalar matcher's verdict."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from tests.support.cli import run_cli

from remission.record import parse_record_json
from remission.rules.columnar import cohort_from_records, write_cohort
from remission.trials import Registry, screen_for_trial

REPO = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 11, 21)


def run(*args: str, registry: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "trials",
        "match",
        *args,
        "--registry",
        str(registry),
        cwd=REPO,
        env={"HOME": str(REPO / "nonexistent-home")},
    )


@pytest.fixture(scope="module")
def records():
    paths = sorted((REPO / "examples" / "patients").glob("*.json"))
    return [parse_record_json(path.read_text(), source=str(path), today=AS_OF) for path in paths]


@pytest.fixture
def cohort_file(tmp_path: Path, records) -> Path:
    path = tmp_path / "cohort.parquet"
    write_cohort(cohort_from_records(records), path)
    return path


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    return tmp_path / "registry"


def scalar_verdicts(records, registry: Path) -> dict[tuple[str, str], tuple[str, list[str], list[str]]]:
    trials = Registry(registry).trials()
    found = {}
    for record in records:
        for trial in trials:
            result = screen_for_trial(record, trial, as_of=AS_OF)
            found[(record.patient.study_id, trial.id)] = (
                result.verdict.value,
                result.failing,
                result.unresolved,
            )
    return found


class TestCohortMatching:
    def test_every_written_verdict_equals_the_scalar_matcher(self, cohort_file, records, registry, tmp_path):
        """Each row of --out has the one-child matcher's verdict, failing and unknown criteria."""
        out = tmp_path / "verdicts.parquet"
        result = run(
            "--cohort", str(cohort_file), "--as-of", AS_OF.isoformat(), "--out", str(out), registry=registry
        )
        assert result.returncode == 0, result.stderr
        rows = pq.read_table(out).to_pylist()
        expected = scalar_verdicts(records, registry)
        assert len(rows) == len(expected)
        for row in rows:
            assert (row["verdict"], row["failing"], row["unknown"]) == expected[
                (row["study_id"], row["trial"])
            ]

    def test_json_summary_counts_each_verdict(self, cohort_file, records, registry):
        """The JSON summary counts, per trial, as many of each verdict as the scalar matcher gives."""
        result = run("--cohort", str(cohort_file), "--as-of", AS_OF.isoformat(), "--json", registry=registry)
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary["records"] == len(records)
        expected = Counter(
            (trial, verdict) for (_, trial), (verdict, _, _) in scalar_verdicts(records, registry).items()
        )
        for trial in summary["trials"]:
            for verdict, count in trial["verdicts"].items():
                assert count == expected[(trial["trial"], verdict)]

    def test_csv_output_joins_lists(self, cohort_file, registry, tmp_path):
        """A .csv --out writes one row per record × trial with the criterion lists joined by semicolons."""
        out = tmp_path / "verdicts.csv"
        result = run(
            "--cohort", str(cohort_file), "--as-of", AS_OF.isoformat(), "--out", str(out), registry=registry
        )
        assert result.returncode == 0, result.stderr
        table = pa_csv.read_csv(out)
        assert table.num_rows == 18 * 3
        assert any(";" in (value or "") for value in table.column("unknown").to_pylist())

    def test_progress_goes_to_stderr(self, cohort_file, registry):
        """Reading and each trial's screening are reported on stderr, not mixed into the JSON."""
        result = run("--cohort", str(cohort_file), "--as-of", AS_OF.isoformat(), "--json", registry=registry)
        assert "read 18 records" in result.stderr
        assert "screened NCT06516679" in result.stderr
        json.loads(result.stdout)


class TestCohortInputErrors:
    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            ((), "give one record file or --cohort"),
            (("examples/patients/INF-01.json", "--cohort", "x.parquet"), "give one record file or --cohort"),
            (("--cohort", "does-not-exist.parquet"), "no such file"),
        ],
    )
    def test_bad_choice_of_input_exits_2(self, extra, message, registry):
        """Neither or both of a record and a cohort, or a missing cohort file, exit 2 with the reason."""
        result = run(*extra, registry=registry)
        assert result.returncode == 2
        assert message in result.stderr
        assert "Traceback" not in result.stderr

    def test_existing_or_unknown_out_file_is_refused_before_screening(self, cohort_file, registry, tmp_path):
        """--out naming an existing file or another format exits 2 and leaves the file alone."""
        existing = tmp_path / "taken.parquet"
        existing.write_text("keep me")
        for target, message in ((existing, "exists"), (tmp_path / "verdicts.txt", ".parquet or .csv")):
            result = run("--cohort", str(cohort_file), "--out", str(target), registry=registry)
            assert result.returncode == 2
            assert message in result.stderr
        assert existing.read_text() == "keep me"

    def test_a_file_that_is_not_a_cohort_is_refused(self, registry, tmp_path):
        """A Parquet file without the cohort layout exits 2 naming the problem, without a traceback."""
        other = tmp_path / "other.parquet"
        pq.write_table(pa_csv.read_csv(pa_csv_source(tmp_path)), other)
        result = run("--cohort", str(other), registry=registry)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr


def pa_csv_source(tmp_path: Path) -> Path:
    path = tmp_path / "plain.csv"
    path.write_text("a,b\n1,2\n")
    return path
