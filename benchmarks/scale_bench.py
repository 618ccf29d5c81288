"""Scale benchmark (issue 14, item 4): 10⁷ rows from partitioned Parquet on a Dask LocalCluster.

Generates two partitioned Parquet datasets on the workers (``scale_bench/generate.py``; not
committed, written under ``--data`` or a temporary directory): survival data with whole-day
times, three groups, two competing causes and five covariates, and screening records in the
cohort layout. Then, on a ``distributed.LocalCluster`` (``--workers`` single-threaded worker
processes), it runs and times:

1. Kaplan–Meier by group, Aalen–Johansen (cumulative incidence of both causes, by group),
   the log-rank test and a Cox model on the five covariates, through the partitioned
   estimators (``remission.stats.partitioned.dask_engine``);
2. cohort screening over 20 trials (``cohort_bench/trials.py``: the registry's three shipped
   curated trials and variations of them) through ``remission.trials.cohort_dask``, writing
   the record × trial verdicts only with ``--verdicts`` (their missing-field lists are built row
   by row in Python, in the in-memory path's ``verdict_table`` too: at 10⁶ rows × 20 trials
   that, not the screening, takes the time).

For each phase it reports the wall time and the peak RSS of the driver and of each worker
(``VmHWM``, reset before the phase; ``scale_bench/memory.py``) against the in-memory size of
the phase's data, and checks the bound stated in ``BOUND_TEXT``: the growth of the driver's
and the workers' RSS during the phase, added together, stays below half the data's in-memory
size. (Each process's idle RSS — Python, NumPy, pandas, Dask, remission: about 290 MB — is
reported beside it; it does not grow with the data.)

Usage (from the repository root)::

    .venv/bin/python benchmarks/scale_bench.py [--rows 10000000] [--partitions 40] [--workers 2]
        [--data DIR] [--json benchmarks/results/2026-12-03/scale_bench.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from cohort_bench.trials import attestable, criteria_sets  # noqa: E402
from distributed import Client, LocalCluster, wait  # noqa: E402
from scale_bench.generate import COVARIATES, write_cohort_partition, write_stats_partition  # noqa: E402
from scale_bench.memory import PhaseMemory  # noqa: E402

#: The memory bound each phase is checked against (a fraction of the phase's data in memory).
BOUND = 0.5
BOUND_TEXT = (
    "driver + workers peak RSS growth during the phase (above each process's RSS at its start,"
    " modules imported) < 1/2 of the data's in-memory size"
)


def _add_bench_path() -> None:
    sys.path.insert(0, str(BENCH))


def _import_everything() -> None:
    """Import what the phases use, so a phase's RSS growth is its data, not its modules."""
    import dask.dataframe  # noqa: F401

    import remission.stats.partitioned.dask_engine
    import remission.trials.cohort_dask  # noqa: F401


def generate(
    client: Client, folder: Path, write: Callable[..., int], rows: int, parts: int, *args: Any
) -> int:
    """Write ``parts`` partitions of ``rows`` rows in all on the workers; return the in-memory bytes."""
    folder.mkdir(parents=True)
    sizes = [rows // parts + (1 if i < rows % parts else 0) for i in range(parts)]
    futures = [client.submit(write, str(folder), i, n, *args, pure=False) for i, n in enumerate(sizes)]
    wait(futures)
    return sum(client.gather(futures))


def phase(client: Client, name: str, work: Callable[[], Any], data_bytes: int) -> tuple[Any, dict[str, Any]]:
    """Run ``work`` as one measured phase; print and return its figures."""
    memory = PhaseMemory(client)
    memory.begin()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    figures = {"wall_s": round(seconds, 2), **memory.end()}
    limit = BOUND * data_bytes / 1e6
    figures["data_in_memory_mb"] = round(data_bytes / 1e6, 1)
    figures["bound_mb"] = round(limit, 1)
    figures["within_bound"] = figures["total_growth_mb"] < limit
    print(
        f"{name}: {seconds:.1f} s; driver + workers peak RSS {figures['total_peak_rss_mb']} MB, "
        f"growth {figures['total_growth_mb']} MB vs data {figures['data_in_memory_mb']} MB: "
        f"{'within' if figures['within_bound'] else 'OVER'} the bound {limit:.0f} MB",
        file=sys.stderr,
        flush=True,
    )
    return result, figures


def run_estimators(client: Client, stats: Path, data_bytes: int) -> dict[str, Any]:
    from remission.stats.partitioned.dask_engine import (
        cox_ph_dask,
        cumulative_incidence_dask,
        kaplan_meier_dask,
        logrank_dask,
    )

    source = str(stats)
    found: dict[str, Any] = {}
    km, found["kaplan_meier"] = phase(
        client,
        "Kaplan–Meier by group",
        lambda: kaplan_meier_dask(source, time="time_days", event="event", group="group", client=client),
        data_bytes,
    )
    aj, found["aalen_johansen"] = phase(
        client,
        "Aalen–Johansen by group",
        lambda: cumulative_incidence_dask(
            source, time="time_days", cause="cause", group="group", client=client
        ),
        data_bytes,
    )
    lr, found["logrank"] = phase(
        client,
        "log-rank",
        lambda: logrank_dask(source, time="time_days", event="event", group="group", client=client),
        data_bytes,
    )
    cox, found["cox"] = phase(
        client,
        "Cox (Efron, 5 covariates)",
        lambda: cox_ph_dask(source, time="time_days", event="event", covariates=COVARIATES, client=client),
        data_bytes,
    )
    found["results"] = {
        "logrank": _plain(lr),
        "cox": _plain(cox),
        "kaplan_meier_type": type(km).__name__,
        "aalen_johansen_type": type(aj).__name__,
    }
    return found


def _plain(result: Any) -> Any:
    """A result object's figures as JSON (``to_dict`` when it has one, else its text)."""
    for name in ("to_dict", "as_dict"):
        if hasattr(result, name):
            try:
                return json.loads(json.dumps(getattr(result, name)(), default=str))
            except (TypeError, ValueError):
                break
    return str(result)


def run_screening(
    client: Client, cohort: Path, out: Path | None, data_bytes: int, as_of: date, trials_count: int
) -> dict[str, Any]:
    from remission.trials.cohort_dask import screen_partitioned_cohort

    trials = criteria_sets(trials_count)
    result, figures = phase(
        client,
        f"cohort screening over {len(trials)} trials",
        lambda: screen_partitioned_cohort(client, cohort, trials, as_of=as_of, out=out),
        data_bytes,
    )
    criteria = sum(len(t.protocol.eligibility or []) for t in trials)
    figures.update(
        {
            "trials": len(trials),
            "criteria": criteria,
            "records": result.records,
            "record_criterion_evaluations_per_s": round(result.records * criteria / figures["wall_s"]),
            "verdict_rows_written": result.verdict_rows if out is not None else 0,
            "verdict_output_mb": round(sum(p.stat().st_size for p in out.iterdir()) / 1e6, 1) if out else 0,
            "verdicts_per_trial": {s["trial"]: s["verdicts"] for s in result.summaries},
        }
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--partitions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 1))
    parser.add_argument("--data", type=Path, help="a new directory for the generated data (kept)")
    parser.add_argument("--verdicts", action="store_true", help="also write every record × trial verdict")
    parser.add_argument("--skip-estimators", action="store_true", help="only the screening")
    parser.add_argument("--skip-screening", action="store_true", help="only the estimators")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    folder = args.data or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    report: dict[str, Any] = {
        "command": "benchmarks/scale_bench.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "rows": args.rows,
        "partitions": args.partitions,
        "workers": args.workers,
        "bound": BOUND_TEXT,
    }
    started = time.perf_counter()
    try:
        with (
            LocalCluster(
                n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            client.run(_add_bench_path)
            client.run(_import_everything)
            _import_everything()
            t0 = time.perf_counter()
            stats_bytes = generate(
                client, folder / "stats", write_stats_partition, args.rows, args.partitions, args.seed
            )
            trials = criteria_sets(args.trials)
            cohort_bytes = 0
            if not args.skip_screening:
                cohort_bytes = generate(
                    client,
                    folder / "cohort",
                    write_cohort_partition,
                    args.rows,
                    args.partitions,
                    args.seed,
                    args.as_of,
                    attestable(trials),
                )
            report["generation"] = {
                "wall_s": round(time.perf_counter() - t0, 1),
                "stats_in_memory_mb": round(stats_bytes / 1e6, 1),
                "stats_parquet_mb": _size_mb(folder / "stats"),
                "cohort_in_memory_mb": round(cohort_bytes / 1e6, 1),
                "cohort_parquet_mb": _size_mb(folder / "cohort") if cohort_bytes else 0,
            }
            print(f"generated: {report['generation']}", file=sys.stderr, flush=True)
            if not args.skip_estimators:
                report["estimators"] = run_estimators(client, folder / "stats", stats_bytes)
            if not args.skip_screening:
                out = folder / "verdicts" if args.verdicts else None
                report["screening"] = run_screening(
                    client, folder / "cohort", out, cohort_bytes, args.as_of, args.trials
                )
    finally:
        if args.data is None:
            shutil.rmtree(folder, ignore_errors=True)
    report["total_wall_s"] = round(time.perf_counter() - started, 1)
    phases = [v for v in report.get("estimators", {}).values() if isinstance(v, dict) and "within_bound" in v]
    phases += [report["screening"]] if "screening" in report else []
    report["all_within_bound"] = all(p["within_bound"] for p in phases)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", "utf-8")
    return 0 if report["all_within_bound"] else 1


def _size_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6, 1)


if __name__ == "__main__":
    raise SystemExit(main())
