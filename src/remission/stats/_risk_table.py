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


@dataclass(frozen=True, eq=False)
class TimeCounts:
    """Subjects counted at each distinct time by a small key: ``counts[i, k]`` have ``time[i]``, key ``k``.

    ``time`` is increasing and holds every distinct input time (each row has at least one subject).
    """

    time: NDArray[np.float64]
    counts: NDArray[np.int64]

    def at_or_after(self) -> NDArray[np.int64]:
        """Per key, how many subjects have a time at or after each distinct time (the risk set)."""
        return np.cumsum(self.counts[::-1], axis=0)[::-1]


def distinct_times(time: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The sorted distinct times and each subject's index into them (see :func:`distinct_values`)."""
    return distinct_values(time)


def whole_offsets(time: NDArray[np.float64]) -> NDArray[np.int64] | None:
    """``time - min(time)`` as integers when the times are whole numbers over a range not much wider
    than the array (days), so they can be counted instead of sorted; otherwise ``None``."""
    low, high = float(time.min()), float(time.max())
    if high - low > 4 * time.size + 1024:
        return None
    offset = time - low
    whole = offset.astype(np.int64)
    return whole if np.array_equal(whole, offset) else None


def count_by_time(time: NDArray[np.float64], key: NDArray[np.int64], width: int) -> TimeCounts:
    """Count subjects by distinct time and key ``0..width-1``: one pass, sorting at most once.

    Whole-number times over a range not much wider than the array (days) are counted without
    sorting; other times are sorted once (the tie blocks of the sorted times give the rows). The
    counts equal those of ``np.unique(time, return_inverse=True)`` followed by a ``bincount``.
    """
    if time.size == 0:
        return TimeCounts(np.zeros(0), np.zeros((0, width), dtype=np.int64))
    whole = whole_offsets(time)
    if whole is not None:
        low = float(time.min())
        span = int(whole.max()) + 1
        every = np.bincount(whole * width + key, minlength=span * width).reshape(span, width)
        present = np.flatnonzero(every.any(axis=1))
        return TimeCounts(present.astype(np.float64) + low, every[present])
    order = np.argsort(time)  # ties in any order: only the counts per block are kept
    ordered = time[order]
    starts = np.empty(ordered.size, dtype=bool)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    block = np.cumsum(starts) - 1
    size = int(block[-1]) + 1
    counts = np.bincount(block * width + key[order], minlength=size * width).reshape(size, width)
    return TimeCounts(ordered[starts], counts)


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
    # Column 2 g + 1 counts group g's events at each time, column 2 g its censorings.
    table = count_by_time(time, codes * 2 + event, n_groups * 2)
    times = table.time
    size = times.size
    by_kind = table.counts.reshape(size, n_groups, 2)
    n_event_int = np.ascontiguousarray(by_kind[:, :, 1])
    n_exit = by_kind.sum(axis=2)
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
    return RiskTable(
        time=times,
        n_risk=n_risk.astype(np.int64),
        n_event=n_event_int,
        n_censor=n_exit - n_event_int,
    )
