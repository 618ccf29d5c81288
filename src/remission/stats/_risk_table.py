"""Counts at risk, events and censorings at each distinct follow-up time (vectorised, no row loops).

A subject is at risk at time ``t`` when ``entry < t <= time`` (R's counting-process convention for
``Surv(entry, time, event)``); without ``entry`` every subject enters at time 0 and is at risk at
``t <= time``. The table has one row per distinct ``time`` (event or censoring), like R's
``survfit``, and one column per group code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from remission.stats.inputs import distinct_values


@dataclass(frozen=True, eq=False)
class RiskTable:
    """Counts at each distinct time: arrays of shape ``(times, groups)``; ``time`` is increasing."""

    time: NDArray[np.float64]
    n_risk: NDArray[np.int64]
    n_event: NDArray[np.int64]
    n_censor: NDArray[np.int64]


def distinct_times(time: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The sorted distinct times and each subject's index into them (see :func:`distinct_values`)."""
    return distinct_values(time)


def risk_table(
    time: NDArray[np.float64],
    event: NDArray[np.int64],
    codes: NDArray[np.int64],
    n_groups: int,
    entry: NDArray[np.float64] | None = None,
) -> RiskTable:
    """Tabulate ``time``/``event`` (1 = event, 0 = censored) by group code ``0..n_groups-1``.

    ``entry`` (optional) are late-entry times, already checked to be ``< time``.
    """
    times, position = distinct_times(time)
    size = times.size
    cell = position * n_groups + codes
    cells = size * n_groups
    n_event = np.bincount(cell, weights=event, minlength=cells).reshape(size, n_groups)
    n_exit = np.bincount(cell, minlength=cells).reshape(size, n_groups)
    # Subjects whose follow-up ends at or after each time: reverse cumulative sum of exits.
    n_risk = np.cumsum(n_exit[::-1], axis=0)[::-1]
    if entry is not None:
        # Not yet entered at t means entry >= t; count them by how many distinct times are <= entry.
        entered_after = np.searchsorted(times, entry, side="right")
        waiting = np.bincount(entered_after * n_groups + codes, minlength=(size + 1) * n_groups)
        waiting = waiting.reshape(size + 1, n_groups)
        # waiting_at[i] = number with entered_after > i, i.e. entry >= times[i].
        waiting_at = np.cumsum(waiting[::-1], axis=0)[::-1][1:]
        n_risk = n_risk - waiting_at
    n_event_int = np.rint(n_event).astype(np.int64)
    return RiskTable(
        time=times,
        n_risk=n_risk.astype(np.int64),
        n_event=n_event_int,
        n_censor=n_exit.astype(np.int64) - n_event_int,
    )
