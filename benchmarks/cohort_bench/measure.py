"""Timing, memory and machine-load measurements for the cohort screening benchmark."""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import psutil
import pyarrow as pa

T = TypeVar("T")


@dataclass
class Load:
    """CPU used on the whole machine by work other than this process, during a measured phase."""

    wall_s: float = 0.0
    own_cpu_s: float = 0.0
    machine_busy_s: float = 0.0

    @property
    def other_cores(self) -> float:
        """Average number of cores other work kept busy (2 cores on this machine)."""
        return max(self.machine_busy_s - self.own_cpu_s, 0.0) / self.wall_s if self.wall_s else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "wall_s": round(self.wall_s, 4),
            "own_cpu_s": round(self.own_cpu_s, 4),
            "other_work_cores": round(self.other_cores, 3),
        }


def _busy() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


@contextmanager
def measured(load: Load) -> Iterator[None]:
    """Time the block and the CPU used by this process and by everything else on the machine."""
    me = psutil.Process()
    own, busy, start = sum(me.cpu_times()[:2]), _busy(), time.perf_counter()
    try:
        yield
    finally:
        load.wall_s += time.perf_counter() - start
        load.own_cpu_s += sum(me.cpu_times()[:2]) - own
        load.machine_busy_s += _busy() - busy


def timed(function: Callable[[], T]) -> tuple[T, float, Load]:
    """Call ``function``; return its result, wall seconds and the machine load meanwhile."""
    load = Load()
    with measured(load):
        result = function()
    return result, load.wall_s, load


def wait_until_quiet(limit_cores: float = 0.3, patience_s: float = 120.0) -> float:
    """Wait (bounded) until other work uses fewer than ``limit_cores``; return the last reading."""
    deadline = time.monotonic() + patience_s
    while True:
        load = Load()
        with measured(load):
            time.sleep(2.0)
        if load.other_cores < limit_cores or time.monotonic() > deadline:
            return load.other_cores


def peak_rss_mb() -> float:
    """Peak resident set size of this process image so far, in MB (10⁶ bytes).

    Read from ``VmHWM`` in ``/proc/self/status``: unlike ``getrusage``'s ``ru_maxrss``, it
    starts afresh at ``exec``, so a probe process does not inherit its parent's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def rss_mb() -> float:
    """Current resident set size, in MB."""
    return psutil.Process().memory_info().rss / 1e6


def kept_bytes(screenings: list[Any]) -> int:
    """Bytes held by the kept per-record results (matrices and missing-field entries)."""
    total = 0
    for screening in screenings:
        for array in (
            screening.status,
            screening.failing,
            screening.unknown,
            screening.attested,
            screening.verdict,
        ):
            total += array.nbytes
        for found in screening.missing:
            if found is not None:
                for entries in found.entries:
                    total += entries.rows.nbytes + (
                        0 if entries.positions is None else entries.positions.nbytes
                    )
    return total


@dataclass
class Machine:
    """What the numbers were measured on."""

    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def describe(cls) -> Machine:
        model = "unknown"
        try:
            with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
                model = next(
                    line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")
                )
        except (OSError, StopIteration):
            pass
        return cls(
            {
                "cpu": model,
                "cores": os.cpu_count(),
                "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
                "python": sys.version.split()[0],
                "numpy": np.__version__,
                "pyarrow": pa.__version__,
                "platform": platform.platform(),
                "load_average_1_5_15": [round(value, 2) for value in os.getloadavg()],
            }
        )
