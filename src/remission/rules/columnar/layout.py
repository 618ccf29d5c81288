"""The columnar layout of a cohort, derived from the record model.

Every scalar field of :class:`~remission.record.PatientRecord` becomes one column named by its
dotted path (``patient.date_of_birth``, ``genetics.kmt2a.status``); a null cell is *not
recorded*. A list field (``syndromes``, ``prior_steroids``, ``mrd``, ...) is an Arrow list
column: a null cell is *not recorded*, an empty list is a recorded "none". Lists of records
are lists of structs whose fields are the item's fields. ``diagnosis.immunophenotype`` is a
map column. An optional group of fields (``diagnosis``, ``genetics``, ``genetics.kmt2a``,
``consent``) also has a boolean column named by its path that says whether the group is
recorded, so that ``diagnosis: {}`` and ``diagnosis: null`` stay distinct.

The layout is read from the model at import time, so a field added to the record appears
here without a code change; a shape the layout cannot hold fails loudly.
"""

from __future__ import annotations

import datetime as dt
import types
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pyarrow as pa
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from remission.record.model import RECORD_SCHEMA_VERSION, PatientRecord

#: Key of the Parquet/Arrow schema metadata that carries the record schema version.
SCHEMA_VERSION_KEY = b"remission.record_schema_version"

ScalarKind = Literal["string", "enum", "date", "float", "int", "bool"]

_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "enum": pa.string(),
    "date": pa.date32(),
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
}


@dataclass(frozen=True, slots=True)
class Scalar:
    """A scalar value: its kind, vocabulary (for enums) and the constraints of its annotation."""

    kind: ScalarKind
    annotation: Any  # the full annotation (with constraints), for messages and exotic checks
    vocabulary: tuple[str, ...] | None = None
    constraints: tuple[Any, ...] = ()  # annotated-types / StringConstraints objects

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW_TYPES[self.kind]


@dataclass(frozen=True, slots=True)
class Leaf:
    """A scalar column (at row level) or a field of a list item (relative name)."""

    path: str
    scalar: Scalar
    required: bool  # must be recorded whenever its group (or item) is recorded


@dataclass(frozen=True, slots=True)
class Group:
    """An optional group of fields; its column says whether the group is recorded."""

    path: str
    leaves: tuple[str, ...]  # every leaf and list column below the group


@dataclass(frozen=True, slots=True)
class ListColumn:
    """A list field: of scalars (``item`` is a :class:`Scalar`) or of records (item fields)."""

    path: str
    nullable: bool  # False for lists with a default of [] (mrd, treatment_phases, attestations)
    item: Scalar | None
    fields: tuple[Leaf, ...] = ()  # item fields when the items are records

    @property
    def of_records(self) -> bool:
        return self.item is None

    @property
    def arrow_type(self) -> pa.ListType[Any]:
        if self.item is not None:
            return pa.list_(self.item.arrow_type)
        return pa.list_(pa.struct([(leaf.path, leaf.scalar.arrow_type) for leaf in self.fields]))


@dataclass(frozen=True, slots=True)
class MapColumn:
    """A mapping field (``diagnosis.immunophenotype``): string keys to scalar values."""

    path: str
    key: Scalar
    value: Scalar

    @property
    def arrow_type(self) -> pa.DataType:
        return pa.map_(self.key.arrow_type, self.value.arrow_type)


Column = Leaf | Group | ListColumn | MapColumn


class LayoutError(TypeError):
    """The record model has a field shape the columnar layout cannot hold (a programming error)."""


def _unwrap(annotation: Any) -> tuple[Any, bool, tuple[Any, ...]]:
    """Strip ``Annotated`` and ``Optional``: return (bare type, nullable, constraint metadata)."""
    nullable = False
    metadata: list[Any] = []
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            args = get_args(annotation)
            annotation = args[0]
            for item in args[1:]:
                metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                raise LayoutError(f"union {annotation!r} has no columnar form")
            nullable = nullable or len(members) < len(get_args(annotation))
            annotation = members[0]
        else:
            return annotation, nullable, tuple(metadata)


def _scalar(annotation: Any, extra: tuple[Any, ...] = ()) -> Scalar:
    bare, _, metadata = _unwrap(annotation)
    constraints = tuple(m for m in (*extra, *metadata) if type(m).__name__ != "Strict")
    if isinstance(bare, type) and issubclass(bare, Enum):
        return Scalar("enum", annotation, tuple(member.value for member in bare), constraints)
    kinds: dict[Any, ScalarKind] = {str: "string", dt.date: "date", float: "float", int: "int", bool: "bool"}
    if bare not in kinds:
        raise LayoutError(f"type {bare!r} has no columnar form")
    return Scalar(kinds[bare], annotation, None, constraints)


def _walk(model: type[BaseModel], prefix: str, out: list[Column]) -> list[str]:
    """Append the columns of ``model`` under ``prefix``; return the paths appended."""
    paths: list[str] = []
    for name, info in model.model_fields.items():
        if model is PatientRecord and name == "schema_version":
            continue  # carried in the schema metadata, not as a column
        path = f"{prefix}{name}"
        bare, nullable, _ = _unwrap(info.annotation)
        if isinstance(bare, type) and issubclass(bare, BaseModel):
            start = len(out)
            if nullable:
                out.append(Group(path, ()))
            below = _walk(bare, f"{path}.", out)
            if nullable:
                out[start] = Group(path, tuple(below))
                paths.append(path)
            paths.extend(below)
        elif get_origin(bare) is list:
            out.append(_list_column(path, nullable, get_args(bare)[0]))
            paths.append(path)
        elif get_origin(bare) is dict:
            key, value = get_args(bare)
            out.append(MapColumn(path, _scalar(key), _scalar(value)))
            paths.append(path)
        else:
            out.append(Leaf(path, _scalar(info.annotation, tuple(info.metadata)), info.is_required()))
            paths.append(path)
    return paths


def _list_column(path: str, nullable: bool, item: Any) -> ListColumn:
    bare, _, _ = _unwrap(item)
    if not (isinstance(bare, type) and issubclass(bare, BaseModel)):
        return ListColumn(path, nullable, _scalar(item))
    fields = []
    for name, info in bare.model_fields.items():
        inner, _, _ = _unwrap(info.annotation)
        if get_origin(inner) in (list, dict) or (isinstance(inner, type) and issubclass(inner, BaseModel)):
            raise LayoutError(f"{path}.{name}: nested groups inside list items have no columnar form")
        fields.append(Leaf(name, _scalar(info.annotation, tuple(info.metadata)), info.is_required()))
    return ListColumn(path, nullable, None, tuple(fields))


def _build() -> tuple[Column, ...]:
    out: list[Column] = []
    _walk(PatientRecord, "", out)
    return tuple(out)


#: Every column of the cohort layout, in record order.
COLUMNS: tuple[Column, ...] = _build()
#: The columns by dotted path.
BY_PATH: dict[str, Column] = {column.path: column for column in COLUMNS}


def arrow_type(column: Column) -> pa.DataType:
    """The canonical Arrow type of ``column``."""
    if isinstance(column, Group):
        return pa.bool_()
    if isinstance(column, Leaf):
        return column.scalar.arrow_type
    return column.arrow_type


def cohort_schema() -> pa.Schema:
    """The canonical Arrow schema of a cohort table (group columns included)."""
    fields = [
        pa.field(column.path, arrow_type(column), nullable=not isinstance(column, Group))
        for column in COLUMNS
    ]
    return pa.schema(fields, metadata={SCHEMA_VERSION_KEY: RECORD_SCHEMA_VERSION.encode()})


def parent_group(path: str) -> str | None:
    """The innermost optional group that holds ``path``, or ``None`` at the top level."""
    parts = path.split(".")
    for end in range(len(parts) - 1, 0, -1):
        candidate = ".".join(parts[:end])
        if isinstance(BY_PATH.get(candidate), Group):
            return candidate
    return None
