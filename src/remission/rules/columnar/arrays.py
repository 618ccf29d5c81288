"""Small helpers between Arrow arrays and NumPy: validity masks, list offsets, canonical lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

#: NumPy's day number of 1970-01-01, for date32 values (days since the Unix epoch).
EPOCH = np.datetime64("1970-01-01", "D")


def valid_mask(array: pa.Array[Any]) -> NDArray[np.bool_]:
    """True where ``array`` holds a value (not null)."""
    if array.null_count == 0:
        return np.ones(len(array), dtype=bool)
    return np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


@dataclass(frozen=True, slots=True)
class ListParts:
    """A list (or map) column taken apart: canonical offsets, per-row validity and item parents.

    ``offsets`` has one entry more than rows; row ``r``'s items are ``offsets[r]:offsets[r+1]`` of
    the flattened item arrays, and a null row has no items. ``parents[i]`` is the row of item ``i``
    and ``positions[i]`` its index within that row's list.
    """

    offsets: NDArray[np.int64]
    valid: NDArray[np.bool_]
    take: NDArray[np.int64] | None  # item indices into the raw child array, None when contiguous

    @property
    def lengths(self) -> NDArray[np.int64]:
        return np.diff(self.offsets)

    @property
    def parents(self) -> NDArray[np.int64]:
        return np.repeat(np.arange(len(self.valid), dtype=np.int64), self.lengths)

    @property
    def positions(self) -> NDArray[np.int64]:
        count = int(self.offsets[-1])
        return np.arange(count, dtype=np.int64) - np.repeat(self.offsets[:-1], self.lengths)

    def items(self, child: pa.Array[Any]) -> pa.Array[Any]:
        """The flattened items of ``child`` (the list's raw values, or a map's keys or items)."""
        if self.take is None:
            return child.slice(0, int(self.offsets[-1]))
        return child.take(pa.array(self.take, type=pa.int64()))


def as_list(array: pa.Array[Any]) -> pa.ListArray[Any] | pa.LargeListArray[Any]:
    """``array`` as the list array (a map array is one) that its column's layout makes it."""
    if not isinstance(array, pa.ListArray | pa.LargeListArray):
        raise TypeError(f"expected a list array, not {array.type}")
    return array


def as_map(array: pa.Array[Any]) -> pa.MapArray[Any, Any]:
    """``array`` as the map array that its column's layout makes it."""
    if not isinstance(array, pa.MapArray):
        raise TypeError(f"expected a map array, not {array.type}")
    return array


def as_struct(array: pa.Array[Any]) -> pa.StructArray:
    """``array`` as the struct array that its column's layout makes it."""
    if not isinstance(array, pa.StructArray):
        raise TypeError(f"expected a struct array, not {array.type}")
    return array


def as_dictionary(array: pa.Array[Any]) -> pa.DictionaryArray[Any, Any]:
    """``array`` as a dictionary-encoded array."""
    if not isinstance(array, pa.DictionaryArray):
        raise TypeError(f"expected a dictionary array, not {array.type}")
    return array


def list_parts(array: pa.Array[Any]) -> ListParts:
    """Take apart a (possibly sliced) list or map array; see :class:`ListParts`."""
    array = as_list(array)
    raw = np.asarray(array.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
    valid = valid_mask(array)
    # A null slot may still span values in Arrow; it holds no items here.
    lengths = np.where(valid, np.diff(raw), 0)
    offsets = np.zeros(len(valid) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    contiguous = raw[0] == 0 and (total == 0 or np.array_equal(lengths, np.diff(raw)))
    if contiguous:
        return ListParts(offsets, valid, None)
    take = np.repeat(raw[:-1], lengths) + np.arange(total, dtype=np.int64) - np.repeat(offsets[:-1], lengths)
    return ListParts(offsets, valid, take)


def nulls(length: int, kind: pa.DataType) -> pa.Array[Any]:
    """An array of ``length`` nulls of type ``kind``."""
    # pyarrow-stubs 20 overload pa.nulls for each concrete type, none for a DataType variable.
    array: pa.Array[Any] = pa.nulls(length, type=kind)  # type: ignore[call-overload]
    return array


def list_array(parts: ListParts, items: pa.Array[Any], list_type: pa.DataType) -> pa.Array[Any]:
    """A canonical list array (offsets from 0, null rows empty) from parts and flattened items."""
    mask = pa.array(~parts.valid) if not parts.valid.all() else None
    offsets = pa.array(parts.offsets.astype(np.int32), type=pa.int32())
    return pa.ListArray.from_arrays(offsets, items, type=list_type, mask=mask)


def map_array(
    parts: ListParts, keys: pa.Array[Any], values: pa.Array[Any], map_type: pa.DataType
) -> pa.Array[Any]:
    """A canonical map array from parts and flattened keys and values."""
    mask = pa.array(~parts.valid) if not parts.valid.all() else None
    offsets = pa.array(parts.offsets.astype(np.int32), type=pa.int32())
    # pyarrow-stubs 20 type a map's offsets as Int64Array; pyarrow takes int32 offsets (its docstring).
    mapped: pa.MapArray[Any, Any] = pa.MapArray.from_arrays(  # type: ignore[call-overload]
        offsets, keys, values, type=map_type, mask=mask
    )
    return mapped


def days(array: pa.Array[Any]) -> NDArray[np.int64]:
    """Dates of a date32 array as days since 1970-01-01 (0 where null)."""
    filled = array.fill_null(0) if array.null_count else array
    return np.asarray(filled.cast(pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)


def floats(array: pa.Array[Any]) -> NDArray[np.float64]:
    """Numbers of a numeric array as float64 (0 where null)."""
    filled = array.fill_null(0) if array.null_count else array
    return np.asarray(filled.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def booleans(array: pa.Array[Any]) -> NDArray[np.bool_]:
    """Booleans of a bool array (False where null)."""
    filled = array.fill_null(False) if array.null_count else array
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def codes(array: pa.Array[Any]) -> tuple[NDArray[np.int64], list[str]]:
    """Strings as dictionary codes and the dictionary; null is code -1."""
    encoded = as_dictionary(pc.dictionary_encode(array))
    indices = encoded.indices
    filled = indices.fill_null(-1) if indices.null_count else indices
    return (
        np.asarray(filled.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64),
        cast(list[str], encoded.dictionary.to_pylist()),  # a dictionary holds no nulls
    )
