"""Peak memory of one call, measured the same way in every worker: the rise of the process's resident set.

Before a call the worker resets the kernel's peak-RSS mark (writing ``5`` to ``/proc/self/clear_refs``,
Linux >= 4.0) and reads ``VmRSS``; after it, ``VmHWM - VmRSS(before)`` is the extra memory the call
needed at its peak (MB), whatever allocated it (NumPy, pandas, Python objects). The R worker does the
same through the same files.
"""

from __future__ import annotations

import re
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR = Path("/proc/self/clear_refs")


def _field(name: str) -> float:
    match = re.search(rf"^{name}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    return int(match.group(1)) / 1024.0 if match else float("nan")


def reset_peak() -> float:
    """Reset the peak-RSS mark and return the current RSS in MB (the baseline of the next call)."""
    try:
        _CLEAR.write_text("5")
    except OSError:
        return float("nan")  # no way to reset the mark: the peak would be meaningless
    return _field("VmRSS")


def peak_since(baseline: float) -> float:
    """MB the process's RSS peaked above ``baseline`` since :func:`reset_peak`."""
    return max(0.0, _field("VmHWM") - baseline)
