"""Converting between :class:`PatientRecord` objects and cohort tables.

These conversions walk records one by one: they are for building and inspecting cohorts,
not for screening (which never leaves the columns).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from remission.record.model import PatientRecord
from remission.rules.columnar.layout import (
    COLUMNS,
    Group,
    Leaf,
    ListColumn,
    MapColumn,
    arrow_type,
    cohort_schema,
)


def _read(data: Mapping[str, Any] | None, path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if node is None:
            return None
        node = node.get(part)
    return node


def _cell(column: Leaf | Group | ListColumn | MapColumn, data: Mapping[str, Any]) -> Any:
    value = _read(data, column.path)
    if isinstance(column, Group):
        return value is not None
    if isinstance(column, MapColumn) and value is not None:
        return list(value.items())
    return value


def records_table(records: Iterable[PatientRecord]) -> pa.Table:
    """A cohort table holding ``records`` in order (see :mod:`remission.rules.columnar.layout`).

    Null cells are fields that were not recorded; empty lists stay empty lists.
    """
    dumped = [record.model_dump(mode="python") for record in records]
    arrays = [
        pa.array([_cell(column, data) for data in dumped], type=arrow_type(column)) for column in COLUMNS
    ]
    return pa.Table.from_arrays(arrays, schema=cohort_schema())


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Rebuild the nested record dict from one row of the table (cells by dotted path)."""
    out: dict[str, Any] = {}
    absent = {column.path for column in COLUMNS if isinstance(column, Group) and not flat.get(column.path)}
    for column in COLUMNS:
        parts = column.path.split(".")
        if any(".".join(parts[:end]) in absent for end in range(1, len(parts) + 1)):
            continue  # a group that is not recorded, or a field inside one
        value = flat.get(column.path)
        if isinstance(column, Group):
            value = {}  # recorded, perhaps with every field unrecorded
        elif value is None:
            continue
        elif isinstance(column, MapColumn):
            value = dict(value)
        elif isinstance(column, ListColumn) and column.of_records:
            value = [{k: v for k, v in item.items() if v is not None} for item in value]
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if isinstance(column, Group):
            node.setdefault(parts[-1], value)
        else:
            node[parts[-1]] = value
    return out


def row_data(table: pa.Table, row: int) -> dict[str, Any]:
    """The nested record data (as :meth:`PatientRecord.model_validate` takes it) of one row."""
    flat = table.slice(row, 1).to_pylist()[0]
    return _nest(flat)


def row_record(table: pa.Table, row: int) -> PatientRecord:
    """The :class:`PatientRecord` of one row of a validated cohort table."""
    return PatientRecord.model_validate(row_data(table, row))
