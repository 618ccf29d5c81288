"""What the benchmark ran on: machine, software versions, and how busy the machine was meanwhile."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Any

R_VERSIONS = (
    'cat(R.version.string, as.character(packageVersion("survival")), '
    'as.character(packageVersion("cmprsk")), sep = "\\n")'
)


def machine() -> dict[str, Any]:
    """CPU model, cores, memory and kernel."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "system": platform.system(),
    }


def versions(repository: Path) -> dict[str, Any]:
    """Python and package versions, R and its packages, and the code's commit (with uncommitted changes)."""
    found: dict[str, Any] = {"python": platform.python_version()}
    for package in ("numpy", "scipy", "pandas", "lifelines", "remission"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    try:
        lines = subprocess.run(
            ["Rscript", "-e", R_VERSIONS], capture_output=True, text=True, check=True, timeout=60
        ).stdout.splitlines()
        found.update({"R": lines[0], "survival": lines[1], "cmprsk": lines[2]})
    except (OSError, subprocess.SubprocessError, IndexError):
        found["R"] = None
    git = ["git", "-C", str(repository)]
    try:
        found["commit"] = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--", "src/remission/stats"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        found["stats_code_uncommitted_changes"] = bool(changed.strip())
    except (OSError, subprocess.SubprocessError):
        found["commit"] = None
    return found


def _busy_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (all cores, from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class LoadWatch:
    """Load averages before, during (sampled) and after the run, and the CPU other work used meanwhile."""

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.every):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadWatch:
        self.before = os.getloadavg()
        self._wall, self._busy, self._own = time.monotonic(), _busy_seconds(), _own_seconds()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.after = os.getloadavg()
        wall = time.monotonic() - self._wall
        other = (_busy_seconds() - self._busy) - (_own_seconds() - self._own)
        self.summary = {
            "loadavg_before": [round(v, 2) for v in self.before],
            "loadavg_after": [round(v, 2) for v in self.after],
            "loadavg_1min_max_during": round(max(self.samples, default=self.after[0]), 2),
            "wall_seconds": round(wall, 1),
            "other_work_cores": round(max(0.0, other) / wall, 2) if wall > 0 else None,
        }
        # The benchmark itself keeps one core busy; more than half a core of other work on this 2-core
        # machine can slow the measured calls.
        self.summary["loaded"] = bool(
            self.summary["other_work_cores"] is not None and self.summary["other_work_cores"] > 0.5
        )
