"""Field tests over column views: which records (or items) satisfy a comparison.

A comparison is judged once per *distinct* value (a dictionary code, a date, true/false) with
the scalar engine's own Python comparison, then spread over the records by their codes; so
the columnar result equals the scalar one by construction. Numbers compare with NumPy, whose
float comparisons are Python's. Map fields and lists of records have no fast path; the rare
test that reads them (``equals`` on ``diagnosis.immunophenotype``) reads the records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from remission.rules.columnar.arrays import EPOCH
from remission.rules.columnar.cohort import View
from remission.rules.columnar.frame import Scope
from remission.rules.paths import plain, read_path

Check = Callable[[Any], bool]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float)  # bool included: True == 1 in Python


def lookup_hits(view: View, check: Check) -> NDArray[np.bool_]:
    """``check`` of each element's plain value, via its distinct values; False where null."""
    if view.kind in ("string", "enum"):
        assert view.dictionary is not None
        assert view.data is not None
        table = np.array([bool(check(value)) for value in view.dictionary] + [False])
        hits: NDArray[np.bool_] = table[view.data]  # code -1 (null) reads the trailing False
        return hits
    if view.kind == "bool":
        assert view.data is not None
        return np.where(view.data, bool(check(True)), bool(check(False))) & view.valid
    if view.kind == "date":
        assert view.data is not None
        out = np.zeros(len(view.valid), dtype=bool)
        distinct, inverse = np.unique(view.data[view.valid], return_inverse=True)
        iso = (EPOCH + distinct.astype("timedelta64[D]")).astype(str)
        table = np.array([bool(check(str(day))) for day in iso], dtype=bool)
        out[view.valid] = table[inverse] if len(distinct) else False
        return out
    raise TypeError(f"no lookup for {view.kind} columns")  # pragma: no cover - callers route by kind


def membership_hits(view: View, values: Sequence[Any]) -> NDArray[np.bool_]:
    """Elements equal to any of ``values`` (Python equality), False where null."""
    if view.kind in ("float", "int"):
        numbers = [value for value in values if _is_number(value)]
        if not numbers:
            return np.zeros(len(view.valid), dtype=bool)
        return np.isin(view.values, np.asarray(numbers, dtype=np.float64)) & view.valid
    return lookup_hits(view, lambda value: value in values)


def record_hits(scope: Scope, path: str, check: Check) -> NDArray[np.bool_]:
    """``check`` of the plain value at ``path`` read from each record (the exact, slow path)."""
    cohort = scope.frame.cohort
    view = cohort.view(path)
    out = np.zeros(len(cohort), dtype=bool)
    for row in np.flatnonzero(view.valid):
        out[row] = bool(check(plain(read_path(cohort.record(int(row)), path))))
    return out


def any_per_record(rows: NDArray[np.int64], hits: NDArray[np.bool_], length: int) -> NDArray[np.bool_]:
    """Per record: whether any of its items hit."""
    return np.bincount(rows[hits], minlength=length) > 0
