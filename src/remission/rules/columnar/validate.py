"""Validating an input table as a cohort: columns, types, structure, values, cross-field rules.

A table that passes holds, row by row, exactly what :class:`~remission.record.PatientRecord`
accepts (and, given ``today``, what :func:`~remission.record.parse_record` accepts), in the
canonical types of :mod:`.layout`. A table that fails raises one
:class:`~remission.errors.InputError` naming every bad column, and the rows (0-based) where a
value is wrong.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from remission.record.model import RECORD_SCHEMA_VERSION
from remission.rules.columnar.arrays import as_dictionary, as_list, as_map, list_parts, valid_mask
from remission.rules.columnar.layout import (
    BY_PATH,
    COLUMNS,
    SCHEMA_VERSION_KEY,
    Group,
    Leaf,
    ListColumn,
    MapColumn,
    cohort_schema,
    parent_group,
)
from remission.rules.columnar.normalise import canonical_array, empty_array
from remission.rules.columnar.problems import Problems
from remission.rules.columnar.validators import MODEL_VALIDATORS, consistency
from remission.rules.columnar.values import check_scalar, report_nulls


def _columns(table: pa.Table, problems: Problems, allow_missing: bool) -> dict[str, pa.Array[Any]]:
    version = (table.schema.metadata or {}).get(SCHEMA_VERSION_KEY)
    if version is not None and version.decode() != RECORD_SCHEMA_VERSION:
        problems.add(
            "(schema)",
            f"record schema version {version.decode()!r}; this version reads {RECORD_SCHEMA_VERSION!r}",
        )
    counts = Counter(table.column_names)
    for name, count in counts.items():
        if count > 1:
            problems.add(name, f"appears {count} times")
        elif name not in BY_PATH:
            problems.add(name, "unknown column: the record has no such field (see docs/cohorts.md)")
    arrays: dict[str, pa.Array[Any]] = {}
    for column in COLUMNS:
        if column.path in counts and counts[column.path] == 1:
            canonical = canonical_array(table.column(column.path).combine_chunks(), column, problems)
            if canonical is not None:
                arrays[column.path] = canonical
        elif isinstance(column, Group):
            continue  # derived from the fields below it
        elif allow_missing:
            arrays[column.path] = empty_array(column, table.num_rows)
        else:
            problems.add(column.path, "column is missing (allow_missing_columns reads it as not recorded)")
    return arrays


def _derive_groups(arrays: dict[str, pa.Array[Any]]) -> None:
    """A group without its column is recorded when anything below it is recorded."""
    for column in reversed(COLUMNS):  # nested groups come after their parents
        if isinstance(column, Group) and column.path not in arrays:
            recorded = np.zeros(len(next(iter(arrays.values()))), dtype=bool)
            for path in column.leaves:
                below = arrays[path]
                recorded |= (
                    np.asarray(below.to_numpy(zero_copy_only=False), dtype=bool)
                    if isinstance(BY_PATH[path], Group)
                    else valid_mask(below)
                )
            arrays[column.path] = pa.array(recorded)


def _recorded(arrays: dict[str, pa.Array[Any]], path: str | None, length: int) -> np.ndarray:
    if path is None:
        return np.ones(length, dtype=bool)
    return np.asarray(arrays[path].to_numpy(zero_copy_only=False), dtype=bool)


def _structure(arrays: dict[str, pa.Array[Any]], problems: Problems, length: int) -> None:
    """Groups, required fields and lists that may not be null."""
    for column in COLUMNS:
        array = arrays[column.path]
        group = parent_group(column.path)
        inside = _recorded(arrays, group, length)
        present = _recorded(arrays, column.path, length) if isinstance(column, Group) else valid_mask(array)
        if group is not None:
            report_nulls(present & ~inside, column.path, f"is recorded although {group} is not", problems)
        if isinstance(column, Leaf) and column.required:
            report_nulls(inside & ~present, column.path, "required field is missing", problems)
        if isinstance(column, ListColumn) and not column.nullable:
            report_nulls(~present, column.path, "is null; an empty list records none", problems)


def _list_values(
    column: ListColumn, array: pa.ListArray[Any] | pa.LargeListArray[Any], problems: Problems
) -> None:
    parts = list_parts(array)
    items = parts.items(array.values)
    where = {"rows": parts.parents, "positions": parts.positions}
    report_nulls(~valid_mask(items), f"{column.path}[]", "item is null", problems, **where)
    if column.item is not None:
        check_scalar(items, column.item, f"{column.path}[]", problems, **where)
        return
    for leaf in column.fields:
        child = pc.struct_field(items, leaf.path)
        name = f"{column.path}[].{leaf.path}"
        if leaf.required:
            report_nulls(
                valid_mask(items) & ~valid_mask(child), name, "required field is missing", problems, **where
            )
        check_scalar(child, leaf.scalar, name, problems, **where)


def _map_values(column: MapColumn, array: pa.MapArray[Any, Any], problems: Problems) -> None:
    parts = list_parts(array)
    keys, values = parts.items(array.keys), parts.items(array.items)
    where = {"rows": parts.parents, "positions": parts.positions}
    check_scalar(keys, column.key, f"{column.path}[].key", problems, **where)
    report_nulls(~valid_mask(values), f"{column.path}[].value", "value is null", problems, **where)
    check_scalar(values, column.value, f"{column.path}[].value", problems, **where)
    if len(keys):
        indices = as_dictionary(pc.dictionary_encode(keys)).indices
        codes = np.asarray(indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        pairs = parts.parents * (int(codes.max()) + 1) + codes
        _, first = np.unique(pairs, return_index=True)
        repeated = np.ones(len(pairs), dtype=bool)
        repeated[first] = False
        report_nulls(repeated, f"{column.path}[].key", "key appears twice in one row", problems, **where)


def _values(arrays: dict[str, pa.Array[Any]], problems: Problems) -> None:
    for column in COLUMNS:
        array = arrays[column.path]
        if isinstance(column, Leaf):
            check_scalar(array, column.scalar, column.path, problems)
        elif isinstance(column, ListColumn):
            _list_values(column, as_list(array), problems)
        elif isinstance(column, MapColumn):
            _map_values(column, as_map(array), problems)


def canonical_table(
    table: pa.Table, *, source: str, today: date | None = None, allow_missing_columns: bool = False
) -> pa.Table:
    """Validate ``table`` as a cohort and return it in the canonical layout.

    ``today``, when given, also refuses dates in the future and dates before birth, as
    :func:`~remission.record.parse_record` does. ``allow_missing_columns`` reads an absent
    column as not recorded (an absent ``mrd`` as empty lists); by default it is refused.
    Raises :class:`~remission.errors.InputError` naming each column, and each row (0-based).
    """
    problems = Problems(source)
    arrays = _columns(table, problems, allow_missing_columns)
    problems.raise_if_any()  # the value checks below need every column in its canonical type
    _derive_groups(arrays)
    _structure(arrays, problems, table.num_rows)
    _values(arrays, problems)
    for check in MODEL_VALIDATORS.values():
        check(arrays, problems)
    if today is not None:
        consistency(arrays, problems, today=today)
    problems.raise_if_any()
    return pa.Table.from_arrays([arrays[column.path] for column in COLUMNS], schema=cohort_schema())
