"""Population-scale screening benchmark (issue 5, item 5): 10⁵ synthetic records × 20 trials.

Builds a synthetic cohort as Arrow columns (``cohort_bench/synthetic.py``), writes it to a
Parquet file, and measures:

1. loading: reading the Parquet file alone, and ``read_cohort`` (read + full validation with
   ``today``), each the median of ``--repeats`` runs;
2. screening: ``screen_cohort`` for each of the 20 criteria sets (``cohort_bench/trials.py``:
   the shipped curated trials and variations of their age bounds and biomarkers), with trial
   semantics (study entry = the matching date), every result kept (n × criteria status, failing,
   unknown and attested matrices, verdicts, missing fields). Throughput counts record-criterion
   evaluations (records × criteria, non-computable criteria included) per second. The first
   run starts from a freshly loaded cohort (every column converted); later runs reuse the
   cohort's cached column views;
3. memory: a separate run under ``tracemalloc`` (NumPy and Python allocations), the Arrow
   memory pool's peak, and the process's peak RSS;
4. the scalar engine on a sample: ``remission.trials.screen_for_trial`` per record and trial,
   timed and extrapolated to the whole cohort, and the sample's results compared with the
   columnar ones (verdict, failing, unknown criteria and missing fields must all agree).

CPU used by other work on the machine during each phase is measured and reported.

Usage (from the repository root)::

    .venv/bin/python benchmarks/cohort_screening.py [--records 100000] [--trials 20] [--sample 500]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import tracemalloc
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cohort_bench.measure import Machine, kept_bytes, peak_rss_mb, rss_mb, timed, wait_until_quiet
from cohort_bench.synthetic import synthetic_table
from cohort_bench.trials import attestable, criteria_sets

from remission.rules.columnar import Cohort, CohortScreening, read_cohort, write_cohort
from remission.rules.columnar.cohort import Cohort as _Cohort
from remission.trials import Trial, screen_for_trial
from remission.trials.cohort_matching import screen_cohort_for_trials


def screen_all(cohort: Cohort, trials: list[Trial], as_of: date) -> list[CohortScreening]:
    """Every trial screened over the whole cohort, with trial semantics; all results kept."""
    return [result.screening for result in screen_cohort_for_trials(cohort, trials, as_of=as_of)]


def compare_sample(
    cohort: Cohort, screenings: list[CohortScreening], trials: list[Trial], rows: list[int], as_of: date
) -> dict[str, Any]:
    """Time the scalar engine on ``rows`` and count disagreements with the columnar results."""
    records = [cohort.record(row) for row in rows]

    def scalar() -> list[list[Any]]:
        return [[screen_for_trial(record, trial, as_of=as_of) for trial in trials] for record in records]

    results, seconds, load = timed(scalar)
    mismatches = 0
    for i, row in enumerate(rows):
        for screening, result in zip(screenings, results[i], strict=True):
            columnar = (
                screening.verdict_of(row),
                screening.failing_ids(row),
                screening.unknown_ids(row),
                screening.missing_paths(row),
            )
            expected = (result.verdict.value, result.failing, result.unresolved, result.missing)
            mismatches += columnar != expected
    criteria = sum(len(s.criterion_ids) for s in screenings)
    return {
        "records": len(rows),
        "seconds": round(seconds, 3),
        "evaluations_per_s": round(len(rows) * criteria / seconds),
        "mismatched_verdicts": mismatches,
        "load": load.as_dict(),
    }


def memory_probe(path: Path, *, trials_count: int, as_of: date) -> dict[str, Any]:
    """Peak memory of loading the cohort and screening every trial, each probe in a fresh process.

    One probe runs plain (peak RSS); a second runs under ``tracemalloc`` (which adds its own
    bookkeeping to RSS) for the peak of NumPy and Python allocations.
    """
    found: dict[str, Any] = {}
    for traced in (False, True):
        command = [sys.executable, __file__, "--probe-memory", str(path), "--trials", str(trials_count)]
        command += ["--as-of", as_of.isoformat(), *(["--traced"] if traced else [])]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        found.update(json.loads(done.stdout))
    return found


def _probe(path: Path, trials_count: int, as_of: date, traced: bool) -> None:
    """One fresh process of :func:`memory_probe`: load, screen, keep everything, report peaks."""
    trials = criteria_sets(trials_count)
    gc.collect()
    before = rss_mb()
    if traced:
        tracemalloc.start()
    cohort = read_cohort(path, today=as_of)
    screenings = screen_all(cohort, trials, as_of)
    if traced:
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(json.dumps({"tracemalloc_peak_mb": round(traced_peak / 1e6, 1)}))
        return
    result = {
        "rss_before_load_mb": round(before, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "arrow_pool_peak_mb": round(pa.default_memory_pool().max_memory() / 1e6, 1),
        "kept_results_mb": round(kept_bytes(screenings) / 1e6, 1),
        "cohort_table_mb": round(cohort.table.nbytes / 1e6, 1),
    }
    print(json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--sample", type=int, default=500, help="records screened by the scalar engine")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 1))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for the machine to be quiet")
    parser.add_argument("--probe-memory", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe_memory:
        _probe(args.probe_memory, args.trials, args.as_of, args.traced)
        return 0

    quiet = None if args.no_wait else wait_until_quiet()
    trials = criteria_sets(args.trials)
    criteria = sum(len(t.protocol.eligibility or []) for t in trials)
    computable = sum(1 for t in trials for c in t.protocol.eligibility or [] if c.expression is not None)
    table, build_s, _ = timed(
        lambda: synthetic_table(args.records, args.as_of, args.seed, attestable(trials))
    )
    report: dict[str, Any] = {
        "command": "benchmarks/cohort_screening.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": Machine.describe().info,
        "other_work_cores_before_start": quiet,
        "records": args.records,
        "trials": len(trials),
        "criteria": criteria,
        "computable_criteria": computable,
        "record_criterion_evaluations": args.records * criteria,
        "build_s": round(build_s, 3),
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cohort.parquet"
        write_cohort(_Cohort(table), path)
        report["parquet_mb"] = round(path.stat().st_size / 1e6, 2)
        read = [timed(lambda: pq.read_table(path)) for _ in range(args.repeats)]
        loads = [timed(lambda: read_cohort(path, today=args.as_of)) for _ in range(args.repeats)]
        report["load"] = {
            "parquet_read_s": round(statistics.median(r[1] for r in read), 4),
            "read_cohort_validated_s": round(statistics.median(r[1] for r in loads), 4),
            "other_work_cores": round(max(r[2].other_cores for r in loads), 3),
        }
        runs = []
        cohort = read_cohort(path, today=args.as_of)  # fresh: the first run converts every column
        for _ in range(args.repeats):
            screenings, seconds, load = timed(partial(screen_all, cohort, trials, args.as_of))
            runs.append(
                {
                    "seconds": round(seconds, 4),
                    "evaluations_per_s": round(args.records * criteria / seconds),
                    "load": load.as_dict(),
                }
            )
        report["screening"] = {
            "first_run": runs[0],
            "later_runs": runs[1:],
            "verdicts_per_trial": {t.id: s.verdict_counts() for t, s in zip(trials, screenings, strict=True)},
            "kept_results_mb": round(kept_bytes(screenings) / 1e6, 1),
        }
        report["memory"] = memory_probe(path, trials_count=args.trials, as_of=args.as_of)
        step = max(args.records // args.sample, 1)
        rows = list(range(0, args.records, step))[: args.sample]
        scalar = compare_sample(cohort, screenings, trials, rows, args.as_of)
        scalar["extrapolated_full_cohort_s"] = round(args.records * criteria / scalar["evaluations_per_s"], 1)
        report["scalar_engine"] = scalar
    report["speedup_vs_scalar"] = round(
        report["screening"]["first_run"]["evaluations_per_s"] / scalar["evaluations_per_s"], 1
    )
    report["machine"]["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", "utf-8")
    return 0 if scalar["mismatched_verdicts"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
