"""Checks of the values of scalar columns and item fields: vocabularies, bounds and patterns.

The constraints come from the record model's annotations (:mod:`.layout`), so the checks
refuse what :class:`~remission.record.PatientRecord` would refuse, column by column, without
building a record per row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from pydantic import TypeAdapter, ValidationError

from remission.rules.columnar.arrays import valid_mask
from remission.rules.columnar.layout import Scalar
from remission.rules.columnar.problems import Problems

_BOUNDS = {"ge": np.greater_equal, "gt": np.greater, "le": np.less_equal, "lt": np.less}
_WORDS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}


def _show(values: list[Any], index: int) -> str:
    return repr(values[index])


def _constraint_items(constraint: Any) -> dict[str, Any]:
    names = ("pattern", "min_length", "max_length", "ge", "gt", "le", "lt")
    found = {name: getattr(constraint, name) for name in names if getattr(constraint, name, None) is not None}
    transforms = ("strip_whitespace", "to_upper", "to_lower")
    if any(getattr(constraint, name, None) for name in transforms) or not found:
        return {"fallback": constraint}
    return found


def check_scalar(
    array: pa.Array[Any],
    scalar: Scalar,
    name: str,
    problems: Problems,
    *,
    rows: NDArray[np.int64] | None = None,
    positions: NDArray[np.int64] | None = None,
) -> None:
    """Report values of ``array`` that the record model would refuse for this scalar."""
    valid = valid_mask(array)
    if not valid.any():
        return
    where = {"rows": rows, "positions": positions}
    listing: list[Any] = []

    def values() -> list[Any]:
        if not listing:
            listing.extend(array.to_pylist())
        return listing

    if scalar.kind == "enum" and scalar.vocabulary is not None:
        allowed = pa.array(scalar.vocabulary, type=pa.string())
        bad = valid & ~np.asarray(
            pc.is_in(array, value_set=allowed).to_numpy(zero_copy_only=False), dtype=bool
        )
        vocabulary = sorted(scalar.vocabulary)
        problems.rows(name, bad, lambda i: f"{_show(values(), i)} is not one of {vocabulary}", **where)
    if scalar.kind == "float":
        finite = np.isfinite(np.asarray(array.fill_null(0.0).to_numpy(zero_copy_only=False)))
        problems.rows(
            name, valid & ~finite, lambda i: f"{_show(values(), i)} is not a finite number", **where
        )
    for constraint in scalar.constraints:
        for key, bound in _constraint_items(constraint).items():
            bad = valid & ~_satisfies(array, scalar, key, bound)
            problems.rows(name, bad, _broken_message(values, key, bound), **where)


def _satisfies(array: pa.Array[Any], scalar: Scalar, key: str, bound: Any) -> NDArray[np.bool_]:
    """True where the value meets one constraint (null counts as meeting it)."""
    if key == "pattern":
        result = pc.match_substring_regex(array, bound)
    elif key in ("min_length", "max_length"):
        # String and enum columns are canonical pa.string() arrays by now (normalise.scalar_array).
        lengths = pc.utf8_length(cast("pa.StringArray", array)) if scalar.kind in ("string", "enum") else None
        if lengths is None:
            return np.ones(len(array), dtype=bool)
        result = pc.greater_equal(lengths, bound) if key == "min_length" else pc.less_equal(lengths, bound)
    elif key in _BOUNDS:
        numbers = np.asarray(array.fill_null(bound).cast(pa.float64()).to_numpy(zero_copy_only=False))
        with np.errstate(invalid="ignore"):
            return np.asarray(_BOUNDS[key](numbers, float(bound)) | np.isnan(numbers), dtype=bool)
    else:
        return _fallback(array, scalar)
    return np.asarray(result.fill_null(True).to_numpy(zero_copy_only=False), dtype=bool)


def _fallback(array: pa.Array[Any], scalar: Scalar) -> NDArray[np.bool_]:
    """A constraint the vectorised checks do not know: let pydantic judge each distinct value."""
    adapter: TypeAdapter[Any] = TypeAdapter(scalar.annotation)
    unique = pc.unique(array.drop_null()).to_pylist()
    refused = []
    for value in unique:
        try:
            adapter.validate_python(value)
        except ValidationError:
            refused.append(value)
    if not refused:
        return np.ones(len(array), dtype=bool)
    hit = pc.is_in(array, value_set=pa.array(refused, type=array.type))
    return ~np.asarray(hit.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _broken_message(values: Callable[[], list[Any]], key: str, bound: Any) -> Callable[[int], str]:
    """The message for element ``i`` that breaks the constraint ``key`` with ``bound``."""
    return lambda i: _broken(values()[i], key, bound)


def _broken(value: Any, key: str, bound: Any) -> str:
    if key == "pattern":
        return f"{value!r} does not match the pattern {bound}"
    if key == "min_length":
        return f"{value!r} is shorter than {bound} character(s)"
    if key == "max_length":
        return f"{value!r} is longer than {bound} character(s)"
    if key in _WORDS:
        return f"{value!r} is not {_WORDS[key]} {bound}"
    return f"{value!r} is refused by the record model"


def report_nulls(
    bad: NDArray[np.bool_],
    name: str,
    message: str,
    problems: Problems,
    *,
    rows: NDArray[np.int64] | None = None,
    positions: NDArray[np.int64] | None = None,
) -> None:
    """Report the elements where ``bad`` holds, with a fixed message."""
    problems.rows(name, bad, lambda _: message, rows=rows, positions=positions)
