"""Bringing the columns of an input table to the canonical Arrow types of the layout.

Accepted on input: any string type (plain, large or dictionary-encoded) for text; integer and
floating types for numbers; ``date32``/``date64`` or ISO ``YYYY-MM-DD`` strings for dates;
``bool`` for booleans; list, large list and map types of those; an all-null column of Arrow's
``null`` type anywhere. Anything else is refused naming the column (and, for unparseable
dates, the rows).
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from remission.rules.columnar.arrays import (
    as_dictionary,
    as_list,
    as_map,
    list_array,
    list_parts,
    map_array,
    nulls,
    valid_mask,
)
from remission.rules.columnar.layout import Column, Group, Leaf, ListColumn, MapColumn, Scalar
from remission.rules.columnar.problems import Problems

_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

#: The rows and positions of list items, for problems about them.
ItemRows = tuple[NDArray[np.int64], NDArray[np.int64]]


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return _is_text(kind.value_type)
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _accepts(scalar: Scalar, kind: pa.DataType) -> bool:
    if pa.types.is_null(kind):
        return True
    if scalar.kind in ("string", "enum"):
        return _is_text(kind)
    if scalar.kind == "date":
        return pa.types.is_date(kind) or _is_text(kind)
    if scalar.kind == "float":
        return pa.types.is_integer(kind) or pa.types.is_floating(kind)
    if scalar.kind == "int":
        return pa.types.is_integer(kind)
    return pa.types.is_boolean(kind)


def _parse_dates(array: pa.Array[Any], name: str, problems: Problems, rows: ItemRows | None) -> pa.Array[Any]:
    """ISO date strings to date32; rows that are not ``YYYY-MM-DD`` dates are reported."""
    text = array.cast(pa.string())
    shaped = pc.match_substring_regex(text, _ISO_DATE).fill_null(True)
    # pyarrow-stubs 20 resolve if_else with a None branch to a scalar; on arrays it gives an array.
    chosen = cast("pa.Array[Any]", pc.if_else(shaped, text, None))
    parsed = pc.strptime(chosen, format="%Y-%m-%d", unit="s", error_is_null=True)
    bad = valid_mask(text) & ~valid_mask(parsed)
    values = text.to_pylist() if bad.any() else []
    where, positions = rows if rows is not None else (None, None)
    problems.rows(
        name, bad, lambda i: f"{values[i]!r} is not a date (YYYY-MM-DD)", rows=where, positions=positions
    )
    return parsed.cast(pa.date32())


def scalar_array(
    array: pa.Array[Any], scalar: Scalar, name: str, problems: Problems, rows: ItemRows | None = None
) -> pa.Array[Any] | None:
    """``array`` cast to the scalar's canonical type, or ``None`` (and a problem) if it cannot be."""
    kind = array.type
    if not _accepts(scalar, kind):
        problems.add(name, f"has Arrow type {kind}; expected {scalar.arrow_type} ({scalar.kind})")
        return None
    if pa.types.is_null(kind):
        return nulls(len(array), scalar.arrow_type)
    if scalar.kind == "date" and _is_text(kind):
        return _parse_dates(array, name, problems, rows)
    if pa.types.is_dictionary(kind):
        array = as_dictionary(array).dictionary_decode()
    return array.cast(scalar.arrow_type)


def _list(array: pa.Array[Any], column: ListColumn, problems: Problems) -> pa.Array[Any] | None:
    kind = array.type
    if pa.types.is_null(kind):
        return nulls(len(array), column.arrow_type)
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)):
        problems.add(column.path, f"has Arrow type {kind}; expected a list ({column.arrow_type})")
        return None
    listed = as_list(array)
    parts = list_parts(listed)
    raw_items = parts.items(listed.values)
    item_rows = (parts.parents, parts.positions)
    if column.item is not None:
        items = scalar_array(raw_items, column.item, f"{column.path}[]", problems, item_rows)
        return None if items is None else list_array(parts, items, column.arrow_type)
    if not pa.types.is_struct(raw_items.type):
        problems.add(
            column.path, f"items have Arrow type {raw_items.type}; expected {column.arrow_type.value_type}"
        )
        return None
    names = [raw_items.type.field(i).name for i in range(raw_items.type.num_fields)]
    wanted = [leaf.path for leaf in column.fields]
    for extra in sorted(set(names) - set(wanted)):
        problems.add(f"{column.path}[].{extra}", f"unknown item field; {column.path} items have {wanted}")
    children: list[pa.Array[Any]] = []
    for leaf in column.fields:
        if leaf.path not in names:
            problems.add(f"{column.path}[].{leaf.path}", "item field is missing from the table")
            return None
        child = pc.struct_field(raw_items, [names.index(leaf.path)])
        cast = scalar_array(child, leaf.scalar, f"{column.path}[].{leaf.path}", problems, item_rows)
        if cast is None:
            return None
        children.append(cast)
    struct_mask = pa.array(~valid_mask(raw_items)) if raw_items.null_count else None
    items = pa.StructArray.from_arrays(children, names=wanted, mask=struct_mask)
    return list_array(parts, items, column.arrow_type)


def _map(array: pa.Array[Any], column: MapColumn, problems: Problems) -> pa.Array[Any] | None:
    kind = array.type
    if pa.types.is_null(kind):
        return nulls(len(array), column.arrow_type)
    if not pa.types.is_map(kind):
        problems.add(column.path, f"has Arrow type {kind}; expected {column.arrow_type}")
        return None
    mapped = as_map(array)
    parts = list_parts(mapped)
    item_rows = (parts.parents, parts.positions)
    keys = scalar_array(parts.items(mapped.keys), column.key, f"{column.path}[].key", problems, item_rows)
    values = scalar_array(
        parts.items(mapped.items), column.value, f"{column.path}[].value", problems, item_rows
    )
    if keys is None or values is None:
        return None
    return map_array(parts, keys, values, column.arrow_type)


def canonical_array(array: pa.Array[Any], column: Column, problems: Problems) -> pa.Array[Any] | None:
    """One column cast to its canonical type; ``None`` after reporting when it cannot be."""
    if isinstance(column, Group):
        if not (pa.types.is_boolean(array.type) or pa.types.is_null(array.type)):
            problems.add(column.path, f"has Arrow type {array.type}; expected bool (is the group recorded)")
            return None
        if array.null_count:
            problems.rows(column.path, ~valid_mask(array), lambda _: "is null; write true or false")
        return array.cast(pa.bool_())
    if isinstance(column, Leaf):
        return scalar_array(array, column.scalar, column.path, problems)
    if isinstance(column, ListColumn):
        return _list(array, column, problems)
    return _map(array, column, problems)


def empty_array(column: Column, length: int) -> pa.Array[Any]:
    """The column as all not recorded (for tables that lack it, when that is allowed)."""
    if isinstance(column, ListColumn) and not column.nullable:
        offsets = pa.array(np.zeros(length + 1, dtype=np.int32), type=pa.int32())
        empty = pa.ListArray.from_arrays(offsets, pa.array([], type=column.arrow_type.value_type))
        return empty
    kind: pa.DataType
    if isinstance(column, Group):
        kind = pa.bool_()
    elif isinstance(column, Leaf):
        kind = column.scalar.arrow_type
    else:
        kind = column.arrow_type
    return nulls(length, kind)
