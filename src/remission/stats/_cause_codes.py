"""Checks shared by the competing-risk estimators: cause codes and time-ordered tie blocks.

Coding follows ``cmprsk`` with ``cencode = 0``: 0 = censored, 1..k = the cause of the event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from remission.stats.inputs import refuse


def as_cause_codes(
    values: ArrayLike, length: int, field: str = "cause", *, non_negative: bool = True
) -> NDArray[np.int64]:
    """Whole-number cause codes, one per subject (0 = censored, 1..k = cause)."""
    try:
        raw = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise refuse(field, f"must be whole-number cause codes ({error})") from None
    if raw.ndim != 1 or raw.size != length:
        raise refuse(field, f"must have one value per subject ({length}), got shape {raw.shape}")
    if not np.all(np.isfinite(raw)):
        raise refuse(field, f"{int(np.sum(~np.isfinite(raw)))} value(s) are missing")
    if np.any(raw != np.round(raw)):
        raise refuse(field, "must be whole numbers (0 = censored, 1..k = cause)")
    if non_negative and np.any(raw < 0):
        raise refuse(field, "codes must be 0 (censored) or a positive cause number")
    return raw.astype(np.int64)


def observed_causes(cause: NDArray[np.int64], field: str = "cause") -> tuple[int, ...]:
    """The causes with at least one event, ascending (cmprsk analyses only these)."""
    if cause.size and int(cause.min()) >= 0 and int(cause.max()) <= 4 * cause.size + 1024:
        present = np.flatnonzero(np.bincount(cause))  # small codes: counted, not sorted
        causes = tuple(int(value) for value in present if value != 0)
    else:
        causes = tuple(int(value) for value in np.unique(cause[cause != 0]))
    if not causes:
        raise refuse(field, "has no events (every subject is censored, code 0); at least one is needed")
    return causes


def cause_columns(cause: NDArray[np.int64], causes: tuple[int, ...]) -> NDArray[np.int64]:
    """Each subject's column: 0 when censored (code 0), ``1 + j`` for an event of ``causes[j]``.

    ``causes`` are the observed causes (:func:`observed_causes`), so every non-zero code is one.
    """
    if int(cause.min()) >= 0 and int(cause.max()) <= 4 * cause.size + 1024:
        lookup = np.zeros(int(cause.max()) + 1, dtype=np.int64)
        lookup[list(causes)] = np.arange(1, len(causes) + 1)
        return lookup[cause]
    return np.where(cause == 0, 0, np.searchsorted(np.asarray(causes), cause) + 1)


@dataclass(frozen=True)
class TieBlocks:
    """Subjects sorted by time, cut into blocks of equal time.

    ``order`` sorts the subjects (stable, as R's ``order``); ``times`` are the distinct times
    ascending; ``block`` gives each sorted subject its block index; ``at_risk`` the number of
    subjects with time >= each distinct time.
    """

    order: NDArray[np.intp]
    times: NDArray[np.float64]
    block: NDArray[np.intp]
    at_risk: NDArray[np.float64]

    @classmethod
    def of(cls, time: NDArray[np.float64]) -> TieBlocks:
        order = np.argsort(time, kind="stable")
        times, block, counts = np.unique(time[order], return_inverse=True, return_counts=True)
        at_risk = (time.size - np.concatenate(([0], np.cumsum(counts)[:-1]))).astype(np.float64)
        return cls(order, times, block.astype(np.intp), at_risk)

    def counts(self, codes: NDArray[np.int64], width: int) -> NDArray[np.int64]:
        """Per distinct time, how many subjects carry each code 0..width-1: shape (times, width)."""
        flat = self.block * width + codes[self.order]
        return np.bincount(flat, minlength=self.times.size * width).reshape(self.times.size, width)
