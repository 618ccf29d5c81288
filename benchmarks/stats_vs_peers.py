"""Time remission's survival and competing-risk estimators against lifelines and R in the same run (issue 4).

For each synthetic cohort (seeded; 10^4, 10^5, 10^6 subjects; integer and continuous times; see
``stats_bench/cohorts.py``) every implementation runs the same tasks in its own worker process:
Kaplan–Meier by group, the log-rank test, Aalen–Johansen with variance, Aalen–Johansen by group with
Gray's test, Gray's test alone, Cox (Efron) and Fine–Gray. Fine–Gray also runs at 2×10^4 subjects,
the size of the goal against ``crr``.

* Timing: the best of ``--repeats`` calls of the estimator alone. Python workers time the call with
  ``time.perf_counter``; R is timed inside R with ``system.time`` around the call only, so process
  start, library loading and reading the data (raw binaries, before any timing) are excluded.
* Cap: a call still running after ``--timeout`` seconds is stopped and reported as "> N s (stopped)",
  never extrapolated.
* Memory: the rise of the worker's resident set over the call at its peak (Linux peak-RSS mark reset
  before each call), measured the same way for Python and R, each task in a fresh worker process
  (``--quick``: one worker per implementation); R's ``gc()`` "max used" is in the JSON too.
* Agreement: the numbers each implementation reports (survival, SE and limits at four times, test
  statistics, incidence and variance at four times, coefficients and SEs) are compared with remission's
  and the largest relative difference is printed, so a fast wrong answer cannot pass unnoticed.
* BLAS and OpenMP are limited to one thread in every worker; the machine's load is recorded.

Usage (from the repository root)::

    .venv/bin/python benchmarks/stats_vs_peers.py                 # full run, ~30-60 min
    .venv/bin/python benchmarks/stats_vs_peers.py --quick         # smoke run, well under a minute
    .venv/bin/python benchmarks/stats_vs_peers.py --sizes 10000,100000 --times integer --repeats 5

Writes ``benchmarks/results/<date>/stats_vs_peers.json`` (smoke runs: ``stats_vs_peers-quick.json`` in
the temporary directory) and a Markdown summary next to it, and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stats_bench.cohorts import CohortSpec, load_cohort, probe_times, write_cohort
from stats_bench.machine import LoadWatch, machine, versions
from stats_bench.report import (
    FINE_GRAY_CRR_N,
    TASKS,
    goals,
    markdown_goals,
    markdown_table,
    max_relative_difference,
)
from stats_bench.runner import run_tasks

BENCHMARKS = Path(__file__).resolve().parent
REPOSITORY = BENCHMARKS.parent
PYTHON_TASKS = {
    "remission": ("km", "logrank", "aj", "cuminc_gray", "gray", "cox", "finegray"),
    "lifelines": ("km", "logrank", "aj", "cox"),
}
R_TASKS = ("km", "logrank", "aj", "cuminc_gray", "cox", "finegray")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _sizes(text: str) -> list[int]:
    return [int(float(part)) for part in text.split(",") if part.strip()]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="cohort sizes, comma-separated")
    parser.add_argument("--times", default="integer,continuous", help="integer and/or continuous")
    parser.add_argument(
        "--fine-gray-sizes", default=str(FINE_GRAY_CRR_N), help="extra sizes for Fine–Gray only"
    )
    parser.add_argument("--repeats", type=int, default=3, help="best of N calls")
    parser.add_argument("--timeout", type=float, default=120.0, help="cap per call, seconds")
    parser.add_argument("--peers", default="lifelines,R", help="peers to run (lifelines, R)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5,000 subjects, 1 call, 5 s cap")
    parser.add_argument("--out", type=Path, help="JSON file (default benchmarks/results/<date>/...)")
    args = parser.parse_args()
    if args.quick:
        # A 5 s cap stops lifelines' Aalen–Johansen and crr here, so the smoke run exercises the cap too.
        args.sizes, args.fine_gray_sizes, args.repeats, args.timeout = "5000", "", 1, 5.0
    return args


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCHMARKS), env.get("PYTHONPATH")]))
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    return env


def run_cohort(
    spec: CohortSpec, tasks: tuple[str, ...], args: argparse.Namespace, scratch: Path
) -> dict[str, Any]:
    """Every implementation on one cohort; returns the cohort's section of the report."""
    folder = write_cohort(spec, scratch)
    probe = probe_times(load_cohort(folder))
    probe_text = ",".join(repr(t) for t in probe)
    log = scratch / "workers.log"
    env = worker_env()
    rows: dict[str, dict[str, Any]] = {task: {} for task in tasks}
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]

    def python(impl: str) -> Any:
        return lambda remaining: [
            sys.executable, "-m", "stats_bench.python_worker", "--impl", impl, "--cohort", str(folder),
            "--tasks", ",".join(remaining), "--repeats", str(args.repeats), "--budget", str(args.timeout),
            "--probe", probe_text,
        ]  # fmt: skip

    def r_worker(remaining: list[str]) -> list[str]:
        script = BENCHMARKS / "stats_bench" / "r_worker.R"
        settings = [str(args.repeats), str(args.timeout), probe_text]
        return ["Rscript", str(script), str(folder), ",".join(remaining), *settings]

    plan: list[tuple[str, Any, tuple[str, ...]]] = [("remission", python("remission"), tasks)]
    if "lifelines" in peers:
        plan.append(
            ("lifelines", python("lifelines"), tuple(t for t in tasks if t in PYTHON_TASKS["lifelines"]))
        )
    if "R" in peers:
        plan.append(("R", r_worker, tuple(t for t in tasks if t in R_TASKS)))
    for impl, command, chosen in plan:
        if not chosen:
            continue
        _log(f"  {spec.name}: {impl} ({', '.join(chosen)})")
        # A fresh worker per task keeps one task's memory (kept by R's heap or Python's allocator for
        # reuse) from hiding the next task's peak; --quick shares one worker to stay fast.
        batches = [chosen] if args.quick else [(task,) for task in chosen]
        outcomes = {}
        for batch in batches:
            outcomes |= run_tasks(command, batch, budget=args.timeout, env=env, log=log, cwd=REPOSITORY)
        for task, outcome in outcomes.items():
            rows[task][impl] = outcome.to_dict()
            _log(f"    {task:12s} {impl:10s} {_brief(rows[task][impl])}")
    if "gray" in rows and "cuminc_gray" in rows and "R" in rows["cuminc_gray"]:
        # R has no separate Gray test: cuminc(..., group) computes it with the curves.
        rows["gray"]["R"] = rows["cuminc_gray"]["R"]
    for row in rows.values():
        ours = (row.get("remission") or {}).get("numbers") or {}
        row["agreement"] = {
            peer: found
            for peer in ("R", "lifelines")
            if (found := max_relative_difference(ours, (row.get(peer) or {}).get("numbers") or {}))
        }
    facts = json.loads((folder / "cohort.json").read_text())
    shutil.rmtree(folder, ignore_errors=True)
    return {"name": spec.name, **facts, "probe_times": probe, "tasks": rows}


def _brief(outcome: dict[str, Any]) -> str:
    if outcome.get("stopped_after_s"):
        return f"> {outcome['stopped_after_s']:g} s (stopped)"
    if outcome.get("error"):
        return f"error: {outcome['error']}"
    return f"{outcome['best_seconds']:.4f} s, peak {outcome['peak_mb']:.0f} MB"


def main() -> None:
    args = parse_args()
    today = datetime.now(UTC).date().isoformat()
    folder = Path(tempfile.gettempdir()) if args.quick else BENCHMARKS / "results" / today
    out = args.out or folder / f"stats_vs_peers{'-quick' if args.quick else ''}.json"
    time_kinds = [t.strip() for t in args.times.split(",") if t.strip()]
    main_sizes = _sizes(args.sizes)
    extra = [n for n in _sizes(args.fine_gray_sizes) if n not in main_sizes]
    specs = [(CohortSpec(n, kind), tuple(TASKS)) for kind in time_kinds for n in main_sizes]
    specs += [(CohortSpec(n, kind), ("finegray",)) for kind in time_kinds for n in extra]
    specs.sort(key=lambda item: (item[0].times, item[0].n))

    report: dict[str, Any] = {
        "command": shlex.join([".venv/bin/python", "benchmarks/stats_vs_peers.py", *sys.argv[1:]]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(REPOSITORY),
        "settings": {"repeats": args.repeats, "timeout_s": args.timeout, "threads": 1, "quick": args.quick},
        "cohorts": [],
    }
    with tempfile.TemporaryDirectory(prefix="stats-bench-") as scratch, LoadWatch() as load:
        for spec, tasks in specs:
            _log(f"cohort {spec.name}")
            report["cohorts"].append(run_cohort(spec, tasks, args, Path(scratch)))
    report["load"] = load.summary
    report["goals"] = goals(report["cohorts"])

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, allow_nan=True))
    summary = "\n\n".join(
        [
            f"Command: `{report['command']}` — {report['date']}",
            f"Load: {json.dumps(load.summary)}",
            markdown_table(report["cohorts"]),
            markdown_goals(report["goals"]),
        ]
    )
    out.with_suffix(".md").write_text(summary + "\n")
    print(summary)
    if load.summary["loaded"]:
        _log(f"warning: other work used {load.summary['other_work_cores']} cores during the run")
    _log(f"wrote {out} and {out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
