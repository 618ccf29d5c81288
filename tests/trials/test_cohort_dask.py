"""The cohort screener on a real Dask cluster gives the in-memory path's verdicts and summary.

A ``distributed.LocalCluster`` with two worker processes is started once for the module. The
cohort is the example records repeated under new study ids, written as a partitioned Parquet
directory with partitions of different sizes, one of them empty.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster
from tests.support.cli import run_cli

from remission.errors import InputError
from remission.record import parse_record_json
from remission.rules.columnar import cohort_from_records, cohort_from_table
from remission.trials import Registry
from remission.trials.cohort_dask import cohort_partitions, screen_partitioned_cohort
from remission.trials.cohort_matching import screen_cohort_for_trials, verdict_table

pytestmark = pytest.mark.dask

REPO = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 21)
#: Rows per partition; 0 is an empty partition. The total is a multiple of the 18 examples.
PARTITION_ROWS = (37, 0, 50, 1, 20)


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes, as the issue asks; closed after the module."""
    with (
        LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


@pytest.fixture(scope="module")
def cohort_table() -> pa.Table:
    """The example records repeated to ``sum(PARTITION_ROWS)`` rows, each with its own study id."""
    paths = sorted((REPO / "examples" / "patients").glob("*.json"))
    records = [parse_record_json(path.read_text(), source=str(path), today=AS_OF) for path in paths]
    table = cohort_from_records(records).table
    total = sum(PARTITION_ROWS)
    table = table.take(np.arange(total) % table.num_rows)
    ids = pa.array([f"DASK-{row:04d}" for row in range(total)], pa.string())
    return table.set_column(table.schema.get_field_index("patient.study_id"), "patient.study_id", ids)


@pytest.fixture(scope="module")
def cohort_dir(tmp_path_factory: pytest.TempPathFactory, cohort_table: pa.Table) -> Path:
    """The cohort split into ``PARTITION_ROWS`` files, named so they sort in row order."""
    folder = tmp_path_factory.mktemp("cohort")
    start = 0
    for index, rows in enumerate(PARTITION_ROWS):
        pq.write_table(cohort_table.slice(start, rows), folder / f"part-{index:02d}.parquet")
        start += rows
    return folder


@pytest.fixture(scope="module")
def trials(tmp_path_factory: pytest.TempPathFactory):
    return Registry(tmp_path_factory.mktemp("registry") / "registry").trials()


@pytest.fixture(scope="module")
def in_memory(cohort_table: pa.Table, trials):
    cohort = cohort_from_table(cohort_table, today=AS_OF)
    return screen_cohort_for_trials(cohort, trials, as_of=AS_OF)


class TestPartitions:
    def test_a_directory_is_its_parquet_files_in_name_order(self, cohort_dir: Path) -> None:
        """Every .parquet file is one partition, in sorted order, the empty one included."""
        partitions = cohort_partitions(cohort_dir)
        assert [Path(p.path).name for p in partitions] == [f"part-{i:02d}.parquet" for i in range(5)]

    def test_a_single_file_is_split_by_row_group(self, tmp_path: Path, cohort_table: pa.Table) -> None:
        """One Parquet file with three row groups gives three partitions."""
        path = tmp_path / "cohort.parquet"
        pq.write_table(cohort_table, path, row_group_size=40)
        assert [p.row_groups for p in cohort_partitions(path)] == [(0,), (1,), (2,)]

    def test_a_missing_cohort_names_the_option(self, tmp_path: Path) -> None:
        """A path that does not exist is an InputError naming --cohort."""
        with pytest.raises(InputError, match="--cohort"):
            cohort_partitions(tmp_path / "nowhere")


class TestScreeningOnDask:
    def test_verdict_rows_equal_the_in_memory_path(self, client, cohort_dir, trials, in_memory, tmp_path):
        """Read in name order, the written verdicts are the in-memory verdict table, row for row."""
        out = tmp_path / "verdicts"
        result = screen_partitioned_cohort(client, cohort_dir, trials, as_of=AS_OF, out=out)
        written = pq.read_table(sorted(out.iterdir()))
        expected = verdict_table(in_memory)
        assert written.to_pylist() == expected.to_pylist()
        assert result.verdict_rows == expected.num_rows == sum(PARTITION_ROWS) * len(trials)

    def test_summaries_equal_the_in_memory_path(self, client, cohort_dir, trials, in_memory):
        """Counts, failing and unknown criteria and missing fields agree, the sample cut mid-partition."""
        # Two trials leave every row needing review: 30 ends in the first partition, 60 in the third.
        for sample in (30, 60, 20_000):
            result = screen_partitioned_cohort(
                client, cohort_dir, trials, as_of=AS_OF, out=None, sample=sample
            )
            assert result.summaries == [r.summary(sample=sample) for r in in_memory]
        assert result.records == sum(PARTITION_ROWS)
        assert result.partitions == len(PARTITION_ROWS)

    def test_the_written_set_is_in_trial_then_record_order(self, client, cohort_dir, trials, tmp_path):
        """Each trial's rows come together, in the registry's trial order."""
        out = tmp_path / "verdicts"
        screen_partitioned_cohort(client, cohort_dir, trials, as_of=AS_OF, out=out)
        column = pq.read_table(sorted(out.iterdir())).column("trial")
        starts = [pc.index(column, trial.id).as_py() for trial in trials]
        assert starts == sorted(starts)
        assert starts == [i * sum(PARTITION_ROWS) for i in range(len(trials))]

    def test_a_bad_partition_refuses_the_cohort_and_writes_nothing(
        self, client, cohort_table, trials, tmp_path
    ):
        """A value the record model refuses names the partition file and row; --out is not created."""
        folder = tmp_path / "cohort"
        folder.mkdir()
        pq.write_table(cohort_table.slice(0, 10), folder / "a.parquet")
        bad = cohort_table.slice(10, 5)
        index = bad.schema.get_field_index("wbc_at_diagnosis_1e9_per_l")
        bad = bad.set_column(index, "wbc_at_diagnosis_1e9_per_l", pa.array([-1.0] * 5))
        pq.write_table(bad, folder / "b.parquet")
        out = tmp_path / "verdicts"
        with pytest.raises(InputError) as raised:
            screen_partitioned_cohort(client, folder, trials, as_of=AS_OF, out=out)
        assert "b.parquet" in str(raised.value)
        assert "wbc_at_diagnosis_1e9_per_l" in str(raised.value)
        assert not out.exists()
        assert list(tmp_path.iterdir()) == [folder]


def run(*args: str, registry: Path):
    return run_cli(
        "trials",
        "match",
        *args,
        "--registry",
        str(registry),
        "--as-of",
        AS_OF.isoformat(),
        cwd=REPO,
        env={"HOME": str(REPO / "nonexistent-home")},
    )


class TestCommandLine:
    def test_engine_dask_with_a_scheduler_writes_the_verdicts(self, client, cohort_dir, in_memory, tmp_path):
        """``--engine dask --scheduler ADDR --out DIR`` writes the in-memory verdicts and summary."""
        out = tmp_path / "verdicts.parquet"
        result = run(
            "--cohort",
            str(cohort_dir),
            "--engine",
            "dask",
            "--scheduler",
            client.scheduler.address,
            "--out",
            str(out),
            "--json",
            registry=tmp_path / "registry",
        )
        assert result.returncode == 0, result.stderr
        assert out.is_dir()
        assert pq.read_table(sorted(out.iterdir())).to_pylist() == verdict_table(in_memory).to_pylist()
        summary = json.loads(result.stdout)
        assert summary["records"] == sum(PARTITION_ROWS)
        assert summary["trials"] == [r.summary() for r in in_memory]
        assert f"[{len(PARTITION_ROWS)}/{len(PARTITION_ROWS)}]" in result.stderr

    def test_an_unreachable_scheduler_names_the_option(self, cohort_dir, tmp_path):
        """A scheduler address nobody listens on exits 2 with a line naming --scheduler."""
        result = run(
            "--cohort",
            str(cohort_dir),
            "--engine",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:9",
            registry=tmp_path / "registry",
        )
        assert result.returncode == 2
        assert "--scheduler" in result.stderr
        assert "Traceback" not in result.stderr

    def test_a_missing_cohort_directory_exits_2(self, tmp_path):
        """--cohort naming nothing exits 2 naming --cohort, before any cluster starts."""
        result = run("--cohort", str(tmp_path / "none"), "--engine", "dask", registry=tmp_path / "registry")
        assert result.returncode == 2
        assert "--cohort" in result.stderr

    def test_scheduler_without_engine_dask_is_refused(self, cohort_dir, tmp_path):
        """--scheduler on the in-memory engine is an input error, not silently ignored."""
        result = run(
            "--cohort", str(cohort_dir), "--scheduler", "tcp://127.0.0.1:9", registry=tmp_path / "registry"
        )
        assert result.returncode == 2
        assert "--scheduler" in result.stderr
