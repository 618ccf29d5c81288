"""Peak resident memory of the driver and of every Dask worker, phase by phase.

Linux keeps a process's peak RSS in ``VmHWM`` (``/proc/<pid>/status``); writing ``5`` to
``/proc/<pid>/clear_refs`` resets it to the current RSS. :class:`PhaseMemory` resets it in the
driver and (through ``client.run``) in each worker before a phase, and reads it after.
"""

from __future__ import annotations

from typing import Any


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak() -> int:
    """Reset this process's peak RSS to its current RSS; return that RSS in kB."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")
    return _status_kb("VmRSS")


def peak_kb() -> int:
    """This process's peak RSS since the last reset (or its start), in kB."""
    return _status_kb("VmHWM")


class PhaseMemory:
    """Start a phase (reset peaks everywhere); finish it (read peaks everywhere), in MB (10⁶ bytes)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.start: dict[str, int] = {}

    def begin(self) -> None:
        self.start = {"driver": reset_peak(), **self.client.run(reset_peak)}

    def end(self) -> dict[str, Any]:
        peaks = {"driver": peak_kb(), **self.client.run(peak_kb)}
        processes = {
            name: {
                "rss_at_start_mb": round(self.start[name] * 1024 / 1e6, 1),
                "peak_rss_mb": round(kb * 1024 / 1e6, 1),
                "growth_mb": round((kb - self.start[name]) * 1024 / 1e6, 1),
            }
            for name, kb in peaks.items()
        }
        return {
            "processes": processes,
            "total_peak_rss_mb": round(sum(p["peak_rss_mb"] for p in processes.values()), 1),
            "total_growth_mb": round(sum(p["growth_mb"] for p in processes.values()), 1),
        }
