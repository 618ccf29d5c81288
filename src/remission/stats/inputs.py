"""Checking and normalising the arrays every estimator takes.

Each check raises :class:`InputError` with one :class:`FieldProblem` per argument, so the CLI and
the API can report the argument by name. Nothing here guesses: a missing time or event is refused,
never dropped silently; callers drop incomplete rows explicitly and say how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from remission.record.consistency import FieldProblem
from remission.record.errors import InputError

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
    raw = np.asarray(values, dtype=object)
    if raw.ndim != 1 or raw.size != length:
        raise refuse(field, f"must have one value per subject ({length}), got shape {raw.shape}")
    missing = [i for i, value in enumerate(raw) if _is_missing(value)]
    if missing:
        raise refuse(field, f"{len(missing)} value(s) are missing (first at row {missing[0]})")
    if all(isinstance(value, int | float | np.integer | np.floating) for value in raw):
        numbers = raw.astype(np.float64)
        levels, codes = np.unique(numbers, return_inverse=True)
        labels = tuple(str(int(level)) if float(level).is_integer() else str(level) for level in levels)
        return Groups(labels, codes.astype(np.int64))
    as_text = np.array([str(value) for value in raw], dtype=object)
    levels, codes = np.unique(as_text, return_inverse=True)
    return Groups(tuple(str(level) for level in levels), codes.astype(np.int64))


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)
