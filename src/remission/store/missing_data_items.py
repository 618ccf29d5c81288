"""The items a missing-data code names, and the rule that an item holds a value or a code, never both.

An item is a baseline field (a dotted path of the record, checked against the record model), a
nullable column of one course row, or an occurrence of a scheduled assessment. :func:`item_key`
gives each its canonical key. :func:`drop_superseded_codes`, a ``before_flush`` hook of every
study session, removes a code in the same transaction (audited) when a value is written to its
field, so no write path — API, web form, CLI, demo loader — can leave both.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from remission.errors import FieldProblem, InputError
from remission.record.model import PatientRecord
from remission.store.base import PatientOwned
from remission.store.course_kinds import BASELINE_FIELDS, BASELINE_FORM, COURSE_KINDS, PATIENT_FORM, row_kind
from remission.store.missing_data_models import CALENDAR_FORM, MissingDataCode
from remission.store.models import Patient

_BASELINE_SECTIONS = frozenset(BASELINE_FIELDS)
_KINDS = {kind.segment: kind for kind in COURSE_KINDS}
#: Columns of a course row that are the store's, not recorded by a person.
_BOOKKEEPING = frozenset({"id", "version", "created_at", "patient_id", "site_id"})


def item_key(
    form: str,
    *,
    row_id: int | None = None,
    field: str | None = None,
    protocol_id: str | None = None,
    assessment: str | None = None,
    occurrence: str | None = None,
) -> str:
    """The canonical key of an item: ``baseline:PATH``, ``patient:COLUMN``, ``SEGMENT#ROW:COLUMN``,
    ``SEGMENT#ROW:`` (the whole row: a form, for source data verification) or
    ``calendar:PROTOCOL/ASSESSMENT/OCCURRENCE``."""
    if form in (BASELINE_FORM, PATIENT_FORM):
        return f"{form}:{field}"
    if form == CALENDAR_FORM:
        return f"{CALENDAR_FORM}:{protocol_id}/{assessment}/{occurrence or ''}"
    return f"{form}#{row_id}:{field or ''}"


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The record model an annotation holds (``Genetics | None`` → ``Genetics``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if (model := _model_of(arg)) is not None:
                return model
    return None


def check_baseline_path(path: str) -> None:
    """Refuse a path that is not a field of the baseline record (``InputError`` naming ``field``)."""
    parts = path.split(".")
    model: type[BaseModel] | None = PatientRecord
    problem = None
    if parts[0] not in _BASELINE_SECTIONS:
        problem = (
            f"{parts[0]!r} is not a baseline field of the record ({', '.join(sorted(_BASELINE_SECTIONS))})"
        )
    else:
        for depth, part in enumerate(parts):
            fields = model.model_fields if model is not None else {}
            if part not in fields:
                where = ".".join(parts[:depth]) or "the record"
                problem = f"{path!r}: {where} has no field {part!r}"
                break
            model = _model_of(fields[part].annotation)
    if problem is not None:
        raise InputError("missing-data code", [FieldProblem("field", problem)])


def baseline_value(baseline: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` of a stored baseline; ``None`` when it or a parent is absent."""
    value: Any = baseline
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def check_row_column(form: str, row: PatientOwned, column: str) -> None:
    """Refuse a column the course row does not have, or one that is required (not nullable)."""
    kind = _KINDS[form]
    columns = {attr.key: attr for attr in inspect(kind.model).column_attrs}
    if column not in columns or column in _BOOKKEEPING:
        names = ", ".join(sorted(set(columns) - _BOOKKEEPING))
        raise InputError(
            "missing-data code", [FieldProblem("field", f"a {kind.title} has no field {column!r} ({names})")]
        )
    if not all(c.nullable for c in columns[column].columns):
        raise InputError(
            "missing-data code",
            [
                FieldProblem(
                    "field", f"{column!r} of a {kind.title} is required; only optional fields may take a code"
                )
            ],
        )


def is_course_form(form: str) -> bool:
    return form in _KINDS


def course_model(form: str) -> type[PatientOwned]:
    return _KINDS[form].model


def _superseded(session: Session, obj: object) -> list[tuple[int, str]]:
    """(patient id, item) of every item of a changed row that now holds a value."""
    if isinstance(obj, Patient):
        baseline = obj.baseline or {}
        return [(obj.id, item) for item in _coded_baseline_items(session, obj.id, baseline)]
    kind = row_kind(obj)
    if kind is None or not isinstance(obj, PatientOwned):
        return []
    state = inspect(obj)
    changed = [
        attr.key
        for attr in state.mapper.column_attrs
        if state.attrs[attr.key].history.has_changes() and getattr(obj, attr.key) is not None
    ]
    return [(obj.patient_id, item_key(kind.segment, row_id=obj.id, field=name)) for name in changed]


def _coded_baseline_items(session: Session, patient_id: int, baseline: Mapping[str, Any]) -> list[str]:
    with session.no_autoflush:
        codes = session.scalars(
            select(MissingDataCode).where(
                MissingDataCode.patient_id == patient_id, MissingDataCode.form == BASELINE_FORM
            )
        ).all()
    return [code.item for code in codes if code.field and baseline_value(baseline, code.field) is not None]


def drop_superseded_codes(session: Session, flush_context: Any, instances: Any) -> None:
    """``before_flush`` hook: delete the code of every item that is given a value in this flush, and
    the codes of a course row that is deleted. The deletions are audited with the write's reason."""
    wanted: set[tuple[int, str]] = set()
    for obj in session.dirty:
        changed = isinstance(obj, Patient | PatientOwned) and not isinstance(obj, MissingDataCode)
        if changed and session.is_modified(obj, include_collections=False):
            wanted.update(_superseded(session, obj))
    gone_rows = [
        (obj.patient_id, item_key(kind.segment, row_id=obj.id))
        for obj in session.deleted
        if isinstance(obj, PatientOwned) and (kind := row_kind(obj)) is not None
    ]
    if not wanted and not gone_rows:
        return
    patients = {patient for patient, _ in wanted} | {patient for patient, _ in gone_rows}
    with session.no_autoflush:
        codes = session.scalars(select(MissingDataCode).where(MissingDataCode.patient_id.in_(patients))).all()
    for code in codes:
        superseded = (code.patient_id, code.item) in wanted
        orphaned = any(
            code.patient_id == patient and code.item.startswith(prefix) for patient, prefix in gone_rows
        )
        if (superseded or orphaned) and code not in session.deleted:
            session.delete(code)
