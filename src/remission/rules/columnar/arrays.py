"""Small helpers between Arrow arrays and NumPy: validity masks, list offsets, canonical lists."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

#: NumPy's day number of 1970-01-01, for date32 values (days since the Unix epoch).
EPOCH = np.datetime64("1970-01-01", "D")


def valid_mask(array: pa.Array) -> NDArray[np.bool_]:
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

    def items(self, child: pa.Array) -> pa.Array:
        """The flattened items of ``child`` (the list's raw values, or a map's keys or items)."""
        if self.take is None:
            return child.slice(0, int(self.offsets[-1]))
        return child.take(pa.array(self.take, type=pa.int64()))


def list_parts(array: pa.ListArray | pa.LargeListArray | pa.MapArray) -> ListParts:
    """Take apart a (possibly sliced) list or map array; see :class:`ListParts`."""
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


def list_array(parts: ListParts, items: pa.Array, list_type: pa.DataType) -> pa.Array:
    """A canonical list array (offsets from 0, null rows empty) from parts and flattened items."""
    mask = pa.array(~parts.valid) if not parts.valid.all() else None
    offsets = pa.array(parts.offsets.astype(np.int32), type=pa.int32())
    return pa.ListArray.from_arrays(offsets, items, type=list_type, mask=mask)


def map_array(parts: ListParts, keys: pa.Array, values: pa.Array, map_type: pa.DataType) -> pa.Array:
    """A canonical map array from parts and flattened keys and values."""
    mask = pa.array(~parts.valid) if not parts.valid.all() else None
    offsets = pa.array(parts.offsets.astype(np.int32), type=pa.int32())
    return pa.MapArray.from_arrays(offsets, keys, values, type=map_type, mask=mask)


def days(array: pa.Array) -> NDArray[np.int64]:
    """Dates of a date32 array as days since 1970-01-01 (0 where null)."""
    filled = pc.fill_null(array, 0) if array.null_count else array
    return np.asarray(filled.cast(pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)


def floats(array: pa.Array) -> NDArray[np.float64]:
    """Numbers of a numeric array as float64 (0 where null)."""
    filled = pc.fill_null(array, 0) if array.null_count else array
    return np.asarray(filled.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def booleans(array: pa.Array) -> NDArray[np.bool_]:
    """Booleans of a bool array (False where null)."""
    filled = pc.fill_null(array, False) if array.null_count else array
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def codes(array: pa.Array) -> tuple[NDArray[np.int64], list[str]]:
    """Strings as dictionary codes and the dictionary; null is code -1."""
    encoded = pc.dictionary_encode(array)
    indices = encoded.indices
    filled = pc.fill_null(indices, -1) if indices.null_count else indices
    return (
        np.asarray(filled.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64),
        encoded.dictionary.to_pylist(),
    )
