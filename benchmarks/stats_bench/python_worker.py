"""Worker process: run benchmark tasks of one Python implementation on one cohort, reporting JSON lines.

``python -m stats_bench.python_worker --impl remission|lifelines|scikit-survival|comprisk --cohort DIR
--tasks km,cox --repeats 3 --budget 120 --probe 30,60,120,240`` (with ``benchmarks`` on ``PYTHONPATH``).

After loading the cohort and importing the library it prints ``{"ready": ...}``; then per task, after
every timed call, ``{"task", "run", "seconds", "peak_mb"}``, and at the end of the task
``{"task", "numbers"}`` (or ``{"task", "error"}``). A task is called at most ``--repeats`` times and
no further call starts when it would likely end past ``--budget`` seconds of that task; the parent
kills the worker when a first call overruns the budget. Only the estimator call is timed
(``time.perf_counter``); loading, imports and lifelines' data frames are prepared before.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any, TextIO

from stats_bench.cohorts import load_cohort
from stats_bench.memory import peak_since, reset_peak
from stats_bench.python_tasks import (
    comprisk_inputs,
    comprisk_tasks,
    lifelines_inputs,
    lifelines_tasks,
    remission_tasks,
    sksurv_inputs,
    sksurv_tasks,
)

IMPLEMENTATIONS = {
    "remission": (remission_tasks, dict),
    "lifelines": (lifelines_tasks, lifelines_inputs),
    "scikit-survival": (sksurv_tasks, sksurv_inputs),
    "comprisk": (comprisk_tasks, comprisk_inputs),
}


def _protocol_stream() -> TextIO:
    """The original stdout for protocol lines; anything the libraries print goes to stderr instead."""
    stream = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return stream


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", choices=tuple(IMPLEMENTATIONS), required=True)
    parser.add_argument("--cohort", type=Path, required=True)
    parser.add_argument("--tasks", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget", type=float, default=120.0)
    parser.add_argument("--probe", required=True)
    args = parser.parse_args()
    protocol = _protocol_stream()

    def emit(payload: dict[str, Any]) -> None:
        protocol.write(json.dumps(payload) + "\n")
        protocol.flush()

    data: dict[str, Any] = load_cohort(args.cohort)
    data["covariates"] = json.loads((args.cohort / "cohort.json").read_text())["covariates"]
    make_tasks, prepare = IMPLEMENTATIONS[args.impl]
    tasks = make_tasks()
    inputs = prepare(data)
    probe = [float(value) for value in args.probe.split(",")]
    emit({"ready": True, "pid": os.getpid()})
    for name in args.tasks.split(","):
        task = tasks[name]
        started = time.perf_counter()
        runs = 0
        try:
            while True:
                baseline = reset_peak()
                before = time.perf_counter()
                numbers = task(inputs, probe)
                seconds = time.perf_counter() - before
                runs += 1
                emit({"task": name, "run": runs, "seconds": seconds, "peak_mb": peak_since(baseline)})
                if runs >= args.repeats or time.perf_counter() - started + seconds > args.budget:
                    break
            emit({"task": name, "numbers": numbers})
        except Exception as error:  # a failing peer is a result to report, not a reason to stop
            emit({"task": name, "error": f"{type(error).__name__}: {error}"})
            traceback.print_exc()


if __name__ == "__main__":
    main()
