"""A cohort: many records as one validated Arrow table, with NumPy views of its columns.

The views are made once per column and cached, so screening many criteria sets over one
cohort converts each column once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from remission.errors import FieldProblem, InputError
from remission.record.model import PatientRecord
from remission.rules.columnar.arrays import (
    ListParts,
    as_list,
    as_struct,
    booleans,
    codes,
    days,
    floats,
    list_parts,
    valid_mask,
)
from remission.rules.columnar.convert import records_table, row_record
from remission.rules.columnar.layout import BY_PATH, Group, Leaf, ListColumn
from remission.rules.columnar.validate import canonical_table

Compression = Literal["gzip", "brotli", "lz4", "zstd", "snappy", "none"]
ViewKind = Literal["string", "enum", "date", "float", "int", "bool", "group", "list", "map"]


@dataclass(frozen=True, slots=True)
class View:
    """One column (or item field) ready for vectorised tests.

    ``valid`` is True where recorded. ``data`` holds dictionary codes (strings, -1 when null),
    days since 1970-01-01 (dates), float64 or int64 numbers, or booleans; ``dictionary`` the
    strings behind the codes. ``arrow`` is the canonical Arrow array, for rare exact paths.
    """

    kind: ViewKind
    valid: NDArray[np.bool_]
    data: NDArray[Any] | None
    dictionary: list[str] | None
    arrow: pa.Array[Any]

    @property
    def values(self) -> NDArray[Any]:
        """``data``, for the kinds that have it (all but group, list and map)."""
        if self.data is None:
            raise TypeError(f"a {self.kind} view has no data")
        return self.data


def make_view(array: pa.Array[Any], kind: ViewKind) -> View:
    """A :class:`View` of a canonical array of the given kind."""
    if kind in ("string", "enum"):
        data, dictionary = codes(array)
        return View(kind, data >= 0, data, dictionary, array)
    if kind == "group":
        return View(kind, booleans(array), None, None, array)
    valid = valid_mask(array)
    if kind == "date":
        return View(kind, valid, days(array), None, array)
    if kind == "float":
        return View(kind, valid, floats(array), None, array)
    if kind == "int":
        filled = np.asarray(array.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
        return View(kind, valid, filled, None, array)
    if kind == "bool":
        return View(kind, valid, booleans(array), None, array)
    return View(kind, valid, None, None, array)


@dataclass(frozen=True, slots=True)
class Items:
    """The items of one list-of-records column: parents, positions and a view per item field."""

    list_path: str
    parts: ListParts
    parents: NDArray[np.int64]
    positions: NDArray[np.int64]
    views: dict[str, View]


@dataclass(frozen=True, eq=False)
class Cohort:
    """Validated records in columns; build with :func:`read_cohort`, :func:`cohort_from_table`
    or :func:`cohort_from_records`. Rows are 0-based."""

    table: pa.Table
    _views: dict[str, View] = field(default_factory=dict, repr=False)
    _items: dict[str, Items] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return self.table.num_rows

    @property
    def study_ids(self) -> list[str]:
        """The ``patient.study_id`` of every row."""
        # A required string column of the record (validate.canonical_table refuses nulls in it).
        return cast(list[str], self.table.column("patient.study_id").to_pylist())

    def record(self, row: int) -> PatientRecord:
        """The :class:`PatientRecord` of ``row`` (the round trip of :func:`cohort_from_records`)."""
        if not 0 <= row < len(self):
            raise IndexError(f"row {row} is outside the cohort (0..{len(self) - 1})")
        return row_record(self.table, row)

    def view(self, path: str) -> View:
        """The row-level view of the column at ``path`` (cached)."""
        if path not in self._views:
            column = BY_PATH[path]
            array = self.table.column(path).combine_chunks()
            if isinstance(column, Group):
                kind: ViewKind = "group"
            elif isinstance(column, Leaf):
                kind = column.scalar.kind
            elif isinstance(column, ListColumn):
                kind = "list"
            else:
                kind = "map"
            self._views[path] = make_view(array, kind)
        return self._views[path]

    def items(self, path: str) -> Items:
        """The items of the list-of-records column at ``path`` (cached)."""
        if path not in self._items:
            column = BY_PATH[path]
            if not (isinstance(column, ListColumn) and column.of_records):
                raise KeyError(f"{path} is not a list of records")
            array = as_list(self.view(path).arrow)
            parts = list_parts(array)
            flat = as_struct(parts.items(array.values))
            views = {leaf.path: make_view(flat.field(leaf.path), leaf.scalar.kind) for leaf in column.fields}
            self._items[path] = Items(path, parts, parts.parents, parts.positions, views)
        return self._items[path]

    def scalar_items(self, path: str) -> tuple[ListParts, View]:
        """Parts and a view of the items of a list-of-scalars column."""
        column = BY_PATH[path]
        if not (isinstance(column, ListColumn) and column.item is not None):
            raise KeyError(f"{path} is not a list of values")
        array = as_list(self.view(path).arrow)
        parts = list_parts(array)
        return parts, make_view(parts.items(array.values), column.item.kind)


def cohort_from_table(
    table: pa.Table, *, source: str = "cohort", today: date | None = None, allow_missing_columns: bool = False
) -> Cohort:
    """Validate an Arrow table as a cohort; see :func:`~.validate.canonical_table` for the checks."""
    return Cohort(
        canonical_table(table, source=source, today=today, allow_missing_columns=allow_missing_columns)
    )


def cohort_from_records(records: Iterable[PatientRecord]) -> Cohort:
    """A cohort holding ``records`` in order (already valid: no checks are repeated)."""
    return Cohort(records_table(records))


def read_cohort(
    path: Path | str, *, today: date | None = None, allow_missing_columns: bool = False
) -> Cohort:
    """Read and validate a Parquet cohort file (layout in ``docs/cohorts.md``).

    Raises :class:`~remission.errors.InputError` when the file cannot be read or a column
    has the wrong type or a value the record model refuses (naming column and row).
    """
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as error:
        raise InputError(str(path), [FieldProblem("(file)", str(error))]) from None
    return cohort_from_table(
        table, source=str(path), today=today, allow_missing_columns=allow_missing_columns
    )


def write_cohort(cohort: Cohort, path: Path | str, *, compression: Compression = "zstd") -> None:
    """Write ``cohort`` as a Parquet file in the canonical layout."""
    pq.write_table(cohort.table, path, compression=compression)


def take_rows(cohort: Cohort, rows: Sequence[int] | NDArray[np.int64]) -> Cohort:
    """A cohort of the given rows, in the given order."""
    return Cohort(cohort.table.take(np.asarray(rows, dtype=np.int64)))
