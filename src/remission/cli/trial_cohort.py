"""``remission trials match --cohort FILE.parquet``: a whole registry of records at once."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table
from rich.text import Text

from remission.cli import render
from remission.errors import FieldProblem, InputError
from remission.rules.columnar import read_cohort
from remission.trials.cohort_matching import TrialCohortResult, screen_cohort_for_trials, verdict_table
from remission.trials.model import Trial

_OUT_FORMATS = {".parquet": "parquet", ".csv": "csv"}


def _check_out(path: Path | None) -> None:
    if path is None:
        return
    if path.suffix.lower() not in _OUT_FORMATS:
        raise InputError("--out", [FieldProblem(str(path), "name a .parquet or .csv file")])
    if path.exists():
        raise InputError("--out", [FieldProblem(str(path), "exists; choose a new file")])
    if not path.parent.is_dir():
        raise InputError("--out", [FieldProblem(str(path), f"the directory {path.parent} does not exist")])


def _write(results: list[TrialCohortResult], path: Path) -> int:
    table = verdict_table(results)
    if _OUT_FORMATS[path.suffix.lower()] == "parquet":
        pq.write_table(table, path)
    else:
        flat = table
        for name in ("failing", "unknown", "missing"):
            joined = [";".join(items or ()) for items in table.column(name).to_pylist()]
            flat = flat.set_column(flat.schema.get_field_index(name), name, [joined])
        pa_csv.write_csv(flat, path)
    return table.num_rows


def match_cohort(
    path: Path, trials: list[Trial], *, as_of: date, out: Path | None, as_json: bool, err: Console
) -> None:
    """Screen every record of the Parquet cohort at ``path`` against ``trials``; print a summary."""
    _check_out(out)
    if not path.is_file():
        raise InputError("--cohort", [FieldProblem(str(path), "no such file")])
    started = time.perf_counter()
    cohort = read_cohort(path, today=as_of)
    err.print(Text(f"read {len(cohort)} records from {path} in {time.perf_counter() - started:.2f} s"))

    def progress(done: int, total: int, trial: Trial) -> None:
        err.print(Text(f"[{done}/{total}] screened {trial.id}"))

    started = time.perf_counter()
    results = screen_cohort_for_trials(cohort, trials, as_of=as_of, progress=progress)
    seconds = time.perf_counter() - started
    criteria = sum(len(result.screening.criterion_ids) for result in results)
    err.print(Text(f"{len(cohort)} records x {len(trials)} trials ({criteria} criteria) in {seconds:.2f} s"))
    if out is not None:
        rows = _write(results, out)
        err.print(Text(f"wrote {rows} record-trial verdicts to {out}"))
    summaries = [result.summary() for result in results]
    if as_json:
        render.print_json({"records": len(cohort), "as_of": as_of.isoformat(), "trials": summaries})
        return
    Console(soft_wrap=False).print(_summary_table(summaries, len(cohort), as_of))


def _summary_table(summaries: list[dict[str, Any]], records: int, as_of: date) -> Table:
    table = Table(title=f"{records} records screened on {as_of.isoformat()}")
    for column in ("trial", "status", "eligible", "needs review", "not eligible", "most unknown"):
        table.add_column(column, overflow="fold")
    for summary in summaries:
        verdicts = summary["verdicts"]
        unknown = ", ".join(f"{i['criterion']} ({i['records']})" for i in summary["most_unknown"][:3])
        table.add_row(
            Text(summary["trial"]),
            Text(summary["status"] or "not sourced"),
            str(verdicts["eligible"]),
            str(verdicts["needs review"]),
            str(verdicts["not eligible"]),
            Text(unknown),
        )
    return table


def _check_out_directory(path: Path | None) -> None:
    if path is None:
        return
    if path.suffix.lower() == ".csv":
        problem = "with --engine dask, --out names a new directory of Parquet files, not a .csv file"
        raise InputError("--out", [FieldProblem(str(path), problem)])
    if path.exists():
        raise InputError("--out", [FieldProblem(str(path), "exists; choose a new directory")])
    if not path.parent.is_dir():
        raise InputError("--out", [FieldProblem(str(path), f"the directory {path.parent} does not exist")])


def match_cohort_on_dask(
    path: Path,
    trials: list[Trial],
    *,
    as_of: date,
    out: Path | None,
    as_json: bool,
    err: Console,
    scheduler: str | None,
) -> None:
    """Screen a partitioned Parquet cohort (a directory, or one file's row groups) on Dask.

    ``out`` is a new directory of Parquet files, one per trial and partition; read in name
    order it holds the in-memory path's verdict rows in the same order.
    """
    from remission.cli.dask_cluster import dask_client
    from remission.trials.cohort_dask import PartitionDone, cohort_partitions, screen_partitioned_cohort

    _check_out_directory(out)
    partitions = len(cohort_partitions(path))
    started = time.perf_counter()
    with dask_client(scheduler) as client:
        workers = len(client.scheduler_info(n_workers=-1)["workers"])
        err.print(Text(f"screening {partitions} partitions of {path} on {workers} Dask workers"))

        def progress(done: int, total: int, finished: PartitionDone) -> None:
            err.print(Text(f"[{done}/{total}] {finished.partition.label}: {finished.records} records"))

        result = screen_partitioned_cohort(client, path, trials, as_of=as_of, out=out, progress=progress)
    seconds = time.perf_counter() - started
    err.print(Text(f"{result.records} records x {len(trials)} trials in {seconds:.2f} s"))
    if out is not None:
        err.print(Text(f"wrote {result.verdict_rows} record-trial verdicts to {out}/"))
    if as_json:
        render.print_json({"records": result.records, "as_of": as_of.isoformat(), "trials": result.summaries})
        return
    Console(soft_wrap=False).print(_summary_table(result.summaries, result.records, as_of))
