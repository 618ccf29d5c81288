"""Time remission's survival and competing-risk estimators against lifelines, scikit-survival, comprisk and R.

For each synthetic cohort (seeded; integer = whole-day and continuous times; see
``stats_bench/cohorts.py``) every implementation runs the same tasks in its own worker process:
Kaplan–Meier by group, the log-rank test, Aalen–Johansen with variance, Aalen–Johansen by group with
Gray's test, Gray's test alone, Cox (Efron and Breslow ties) and Fine–Gray.

* Shape ``issue14`` (default; issue 14, item 1): 3 groups, 2 causes, 5 covariates (6 model columns),
  10^6 subjects, Fine–Gray also at 5000; goal: remission's time <= 0.5 × the fastest peer's.
* Shape ``issue4`` (``--shape issue4``): the issue-4 cohorts (2 groups, 3 covariates; 10^4–10^6),
  Fine–Gray also at 2×10^4, and issue 4's goals.

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

    .venv/bin/python benchmarks/stats_vs_peers.py                 # issue-14 run at 10^6
    .venv/bin/python benchmarks/stats_vs_peers.py --quick         # smoke run, about a minute
    .venv/bin/python benchmarks/stats_vs_peers.py --shape issue4 --sizes 10000,100000,1000000 \
        --fine-gray-sizes 20000                                   # the issue-4 run

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

from stats_bench.cohorts import SHAPES, CohortSpec, load_cohort, probe_times, write_cohort
from stats_bench.machine import LoadWatch, machine, versions
from stats_bench.report import (
    FINE_GRAY_CRR_N,
    ISSUE14_FINE_GRAY_N,
    PEERS,
    TASKS,
    goals,
    goals_issue14,
    markdown_goals,
    markdown_table,
    max_relative_difference,
)
from stats_bench.runner import run_tasks

BENCHMARKS = Path(__file__).resolve().parent
REPOSITORY = BENCHMARKS.parent
PYTHON_TASKS = {
    "remission": tuple(TASKS),
    "lifelines": ("km", "logrank", "aj", "cox"),
    "scikit-survival": ("km", "logrank", "aj", "cox", "cox_breslow"),
    "comprisk": ("aj", "cuminc_gray", "gray", "finegray"),
}
R_TASKS = ("km", "logrank", "aj", "cuminc_gray", "cox", "cox_breslow", "finegray")
ISSUE4_TASKS = ("km", "logrank", "aj", "cuminc_gray", "gray", "cox", "finegray")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _sizes(text: str) -> list[int]:
    return [int(float(part)) for part in text.split(",") if part.strip()]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=SHAPES, default="issue14", help="cohort shape (see cohorts.py)")
    parser.add_argument("--sizes", help="cohort sizes, comma-separated (issue14: 1000000)")
    parser.add_argument("--times", default="integer,continuous", help="integer and/or continuous")
    parser.add_argument("--fine-gray-sizes", help="extra sizes for Fine–Gray only (issue14: 5000)")
    parser.add_argument("--tasks", help=f"only these tasks, comma-separated ({', '.join(TASKS)})")
    parser.add_argument("--repeats", type=int, default=3, help="best of N calls")
    parser.add_argument("--timeout", type=float, default=120.0, help="cap per call, seconds")
    parser.add_argument("--peers", default=",".join(PEERS), help=f"peers to run ({', '.join(PEERS)})")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5,000 subjects, 1 call, 5 s cap")
    parser.add_argument("--out", type=Path, help="JSON file (default benchmarks/results/<date>/...)")
    args = parser.parse_args()
    issue14 = args.shape == "issue14"
    if args.sizes is None:
        args.sizes = "1000000" if issue14 else "10000,100000,1000000"
    if args.fine_gray_sizes is None:
        args.fine_gray_sizes = str(ISSUE14_FINE_GRAY_N if issue14 else FINE_GRAY_CRR_N)
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
    for peer in peers:
        if peer in PYTHON_TASKS:
            plan.append((peer, python(peer), tuple(t for t in tasks if t in PYTHON_TASKS[peer])))
        elif peer == "R":
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
            for peer in PEERS
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
    all_tasks = tuple(TASKS) if args.shape == "issue14" else ISSUE4_TASKS
    if args.tasks:
        wanted = {t.strip() for t in args.tasks.split(",")}
        all_tasks = tuple(t for t in all_tasks if t in wanted)
        extra = extra if "finegray" in wanted else []
    specs = [(CohortSpec(n, kind, shape=args.shape), all_tasks) for kind in time_kinds for n in main_sizes]
    specs += [(CohortSpec(n, kind, shape=args.shape), ("finegray",)) for kind in time_kinds for n in extra]
    specs.sort(key=lambda item: (item[0].times, item[0].n))

    report: dict[str, Any] = {
        "command": shlex.join([".venv/bin/python", "benchmarks/stats_vs_peers.py", *sys.argv[1:]]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(REPOSITORY),
        "settings": {
            "shape": args.shape,
            "repeats": args.repeats,
            "timeout_s": args.timeout,
            "threads": 1,
            "quick": args.quick,
        },
        "cohorts": [],
    }
    with tempfile.TemporaryDirectory(prefix="stats-bench-") as scratch, LoadWatch() as load:
        for spec, tasks in specs:
            _log(f"cohort {spec.name}")
            report["cohorts"].append(run_cohort(spec, tasks, args, Path(scratch)))
    report["load"] = load.summary
    report["goals"] = (goals_issue14 if args.shape == "issue14" else goals)(report["cohorts"])

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
