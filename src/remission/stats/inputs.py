"""Checking and normalising the arrays every estimator takes.

Each check raises :class:`InputError` with one :class:`FieldProblem` per argument, so the CLI and
the API can report the argument by name. Nothing here guesses: a missing time or event is refused,
never dropped silently; callers drop incomplete rows explicitly and say how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from remission.errors import FieldProblem, InputError

SOURCE = "analysis input"


def refuse(field: str, problem: str) -> InputError:
    """The error for one argument that cannot be used."""
    return InputError(SOURCE, [FieldProblem(field, problem)])


def as_times(values: ArrayLike, field: str = "time", *, allow_zero: bool = True) -> NDArray[np.float64]:
    """Finite, non-negative follow-up times as a 1-d float array."""
    try:
        times = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise refuse(field, f"must be numbers ({error})") from None
    if times.ndim != 1:
        raise refuse(field, f"must be one-dimensional, got shape {times.shape}")
    if times.size == 0:
        raise refuse(field, "is empty")
    if not np.all(np.isfinite(times)):
        raise refuse(field, f"{int(np.sum(~np.isfinite(times)))} value(s) are missing or not finite")
    if np.any(times < 0) or (not allow_zero and np.any(times == 0)):
        bound = "negative" if allow_zero else "zero or negative"
        raise refuse(field, f"{int(np.sum(times < 0 if allow_zero else times <= 0))} value(s) are {bound}")
    return times


def as_codes(values: ArrayLike, field: str, allowed: Sequence[int], length: int) -> NDArray[np.int64]:
    """Integer codes (event 0/1, cause 0..k) restricted to ``allowed``."""
    try:
        raw = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise refuse(field, f"must be integer codes ({error})") from None
    if raw.ndim != 1 or raw.size != length:
        raise refuse(field, f"must have one value per subject ({length}), got shape {raw.shape}")
    if not np.all(np.isfinite(raw)):
        raise refuse(field, f"{int(np.sum(~np.isfinite(raw)))} value(s) are missing")
    codes = raw.astype(np.int64)
    if np.any(codes != raw):
        raise refuse(field, "must be whole numbers")
    low, high = int(codes.min()), int(codes.max())
    if set(range(low, high + 1)) <= set(allowed):
        return codes  # every code lies in a stretch of allowed values: no need to list them
    outside = sorted(set(np.unique(codes).tolist()) - set(allowed))
    if outside:
        raise refuse(field, f"codes {outside} are outside the declared set {sorted(allowed)}")
    return codes


def as_events(values: ArrayLike, length: int, field: str = "event") -> NDArray[np.int64]:
    """Event indicators: 1 = event, 0 = censored (booleans accepted)."""
    return as_codes(values, field, (0, 1), length)


@dataclass(frozen=True)
class Groups:
    """Group labels coded 0..k-1 in R's factor order: numeric labels by value, others as text."""

    labels: tuple[str, ...]
    codes: NDArray[np.int64]

    @property
    def count(self) -> int:
        return len(self.labels)


def as_groups(values: ArrayLike | None, length: int, field: str = "group") -> Groups:
    """Group labels as codes; ``None`` means one group named ``"all"``. Missing labels are refused."""
    if values is None:
        return Groups(("all",), np.zeros(length, dtype=np.int64))
    raw = np.asarray(values)
    if raw.ndim != 1 or raw.size != length:
        raise refuse(field, f"must have one value per subject ({length}), got shape {raw.shape}")
    if raw.dtype.kind in "biuf":
        return _numeric_groups(raw.astype(np.float64), field)
    if raw.dtype.kind not in "OUS":
        raise refuse(field, f"group labels must be numbers or text, not {raw.dtype}")
    objects = raw.astype(object)
    missing = pd.isna(objects)
    if missing.any():
        raise refuse(
            field, f"{int(missing.sum())} value(s) are missing (first at row {int(np.argmax(missing))})"
        )
    if pd.api.types.infer_dtype(objects, skipna=False) in ("integer", "floating", "mixed-integer-float"):
        return _numeric_groups(objects.astype(np.float64), field)
    codes, uniques = pd.factorize(objects)
    labels = [str(level) for level in uniques]
    order = np.argsort(np.array(labels, dtype=object), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return Groups(tuple(labels[index] for index in order), rank[codes].astype(np.int64))


def distinct_values(values: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The sorted distinct values and each element's index into them (``np.unique`` semantics).

    Whole numbers over a range not much wider than the array (days, months, group codes) are
    counted in one pass instead of sorted.
    """
    low, high = float(values.min()), float(values.max())
    if high - low <= 4 * values.size + 1024:
        offset = values - low
        whole = offset.astype(np.int64)
        if np.array_equal(whole, offset):
            present = np.bincount(whole) > 0
            rank = np.cumsum(present) - 1
            return np.flatnonzero(present).astype(np.float64) + low, rank[whole]
    levels, index = np.unique(values, return_inverse=True)
    return levels, index.reshape(-1)


def _numeric_groups(numbers: NDArray[np.float64], field: str) -> Groups:
    missing = np.isnan(numbers)
    if missing.any():
        raise refuse(
            field, f"{int(missing.sum())} value(s) are missing (first at row {int(np.argmax(missing))})"
        )
    levels, codes = distinct_values(numbers)
    labels = tuple(str(int(level)) if float(level).is_integer() else str(level) for level in levels)
    return Groups(labels, codes.astype(np.int64))
