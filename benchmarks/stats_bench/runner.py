"""Run workers (Python or R) for one cohort, enforce the per-call time cap, and collect their reports.

A worker prints JSON lines (see ``python_worker.py``). Its first call of a task must finish within
``budget`` seconds of the task's start or the worker's process group is killed, the task is recorded
as stopped ("> budget s"), and a fresh worker runs the remaining tasks. Only processes started here
are ever killed, by their own process group id.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

# Loading a 10^6 cohort and importing lifelines or R's packages takes a few seconds; this is generous.
START_TIMEOUT = 180.0
# After a first call finished in time, the worker decides its repeats; this bounds a worker that hangs.
EXTRA_FACTOR, EXTRA_SECONDS = 2.0, 60.0


@dataclass
class TaskOutcome:
    """What a worker reported for one task: call times (s), peaks (MB), numbers, or why there are none."""

    seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    r_gc_peak_mb: list[float] = field(default_factory=list)
    numbers: dict[str, list[float | None]] | None = None
    stopped_after: float | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "best_seconds": min(self.seconds) if self.seconds else None,
            "seconds": self.seconds,
            "peak_mb": max(self.peak_mb) if self.peak_mb else None,
            "r_gc_peak_mb": max(self.r_gc_peak_mb) if self.r_gc_peak_mb else None,
            "stopped_after_s": self.stopped_after,
            "error": self.error,
            "numbers": self.numbers,
        }


def _reader(stream: IO[str], lines: queue.Queue[dict[str, Any] | None]) -> None:
    for line in stream:
        line = line.strip()
        if line.startswith("{"):
            try:
                lines.put(json.loads(line))
            except json.JSONDecodeError:
                continue
    lines.put(None)  # end of output: the worker exited


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)  # the worker's own group (start_new_session=True)
    process.wait()


def run_tasks(
    command: Callable[[Sequence[str]], list[str]],
    tasks: Sequence[str],
    *,
    budget: float,
    env: dict[str, str],
    log: Path,
    cwd: Path,
) -> dict[str, TaskOutcome]:
    """Run ``tasks`` in workers built by ``command(remaining_tasks)``; one outcome per task."""
    outcomes = {task: TaskOutcome() for task in tasks}
    remaining = list(tasks)
    while remaining:
        with log.open("a") as errors:
            process = subprocess.Popen(
                command(remaining),
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
        assert process.stdout is not None
        lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
        try:
            ready = lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            ready = None
        if not ready or not ready.get("ready"):
            _stop(process)
            for task in remaining:
                outcomes[task].error = f"worker did not start (see {log.name})"
            return outcomes
        remaining = _follow(process, lines, remaining, outcomes, budget)
        _stop(process)
    return outcomes


def _follow(
    process: subprocess.Popen[str],
    lines: queue.Queue[dict[str, Any] | None],
    tasks: list[str],
    outcomes: dict[str, TaskOutcome],
    budget: float,
) -> list[str]:
    """Read one worker's reports; returns the tasks still to run when it had to be stopped."""
    for position, task in enumerate(tasks):
        outcome = outcomes[task]
        started = time.monotonic()
        while True:
            limit = budget if not outcome.seconds else EXTRA_FACTOR * budget + EXTRA_SECONDS
            try:
                message = lines.get(timeout=max(0.0, started + limit - time.monotonic()))
            except queue.Empty:
                if not outcome.seconds:
                    outcome.stopped_after = budget
                else:
                    outcome.error = "stopped while repeating; numbers missing"
                _stop(process)
                return tasks[position + 1 :]
            if message is None:
                outcome.error = outcome.error or "worker exited unexpectedly"
                return tasks[position + 1 :]
            if message.get("task") != task:
                continue
            if "seconds" in message:
                outcome.seconds.append(float(message["seconds"]))
                outcome.peak_mb.append(float(message.get("peak_mb") or 0.0))
                if "r_gc_peak_mb" in message:
                    outcome.r_gc_peak_mb.append(float(message["r_gc_peak_mb"]))
            elif "numbers" in message:
                outcome.numbers = message["numbers"]
                break
            elif "error" in message:
                outcome.error = str(message["error"])
                break
    return []
