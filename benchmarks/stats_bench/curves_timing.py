"""Before/after timing of remission's curve estimators on the issue-14 cohort, in one process.

``PYTHONPATH=benchmarks .venv/bin/python -m stats_bench.curves_timing --n 1000000 --repeats 5``
times Kaplan–Meier by group, the log-rank test, Aalen–Johansen with variance and the incidence by
group with Gray's test on whole-day and continuous times, printing the best wall-clock and CPU
seconds of each. To time an older version of remission, put its ``src`` first on ``PYTHONPATH``
(for example a ``git archive`` of that commit): the script imports whatever ``remission`` is found.
CPU seconds are less disturbed than wall-clock seconds on a shared machine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from stats_bench.cohorts import CohortSpec, simulate


def best_of(call: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """The smallest wall-clock and the smallest CPU seconds over ``repeats`` calls."""
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeats):
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        call()
        wall = min(wall, time.perf_counter() - started_wall)
        cpu = min(cpu, time.process_time() - started_cpu)
    return wall, cpu


def _tasks(data: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    from remission.stats.cumulative_incidence import cumulative_incidence
    from remission.stats.kaplan_meier import kaplan_meier
    from remission.stats.logrank import logrank_test

    time_, event, cause, group = data["time"], data["event"], data["cause"], data["group"]
    return {
        "km": lambda: kaplan_meier(time_, event, group=group),
        "logrank": lambda: logrank_test(time_, event, group),
        "aj": lambda: cumulative_incidence(time_, cause),
        "cuminc_gray": lambda: cumulative_incidence(time_, cause, group=group),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--times", default="integer,continuous")
    args = parser.parse_args()
    import remission

    print(f"remission from {remission.__file__}")
    print("| times | task | wall (s) | CPU (s) |\n|---|---|---:|---:|")
    for kind in args.times.split(","):
        data = simulate(CohortSpec(args.n, kind, shape="issue14"))
        for name, call in _tasks(data).items():
            wall, cpu = best_of(call, args.repeats)
            print(f"| {kind} | {name} | {wall:.3f} | {cpu:.3f} |", flush=True)


if __name__ == "__main__":
    main()
