"""Shared constants and helpers of the store benchmark."""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

API = "/api/v1"
REMISSION = str(Path(sys.executable).parent / "remission")
GOAL_WRITES_PER_S = 300.0
GOAL_P99_MS = 100.0
PASSWORD = "bench-password-" + "x" * 8  # at least 12 characters
SITE = "BENCH"
ATTRIBUTIONS = ("unrelated", "unlikely", "possible", "probable", "definite")
MRD_TIME_POINTS = ("end of induction", "after consolidation 1", "after consolidation 2")
MRD_METHODS = ("flow cytometry", "IG/TR RQ-PCR", "NGS")
MARKER_SCALE = 1e9  # MRD value_fraction = marker / MARKER_SCALE, a unique number per write


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(*args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [REMISSION, *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"remission {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


# --------------------------------------------------------------------------- the database


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))  # nearest rank
    return ordered[rank]
