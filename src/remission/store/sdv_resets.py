"""The rule that a verified value cannot change unseen: a changed value resets its SDV marks.

:func:`reset_changed_marks`, a ``before_flush`` hook of every study session (registered in
:mod:`remission.store.session`), runs whatever the write path — API, web form, CLI, demo loader.
In the same flush as the change it sets every *verified* mark the change touches to *reset*, with
``reset_note`` saying what changed ("value_fraction changed from 0.001 to 0.002 after
verification"), so the audit trail shows the reset beside the change and its reason:

- a mark on a column of a course row (``mrd#12:value_fraction``) when that column changes;
- a mark on a whole course row (``mrd#12:``) when any of its columns changes;
- a mark on a baseline path (``baseline:genetics.kmt2a``) when the value at that path, or anything
  under it, differs between the old and the new baseline;
- a mark on a patient column (``patient:date_of_birth``) when it changes — the date of birth is
  an identifier, so its note names the change without the dates.

A deleted course row takes its marks with it (deleted in the same flush, audited). Only these
writes of the hook, and a monitor's own marks, pass the session's write check
(:func:`check_mark_write`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from remission.store.actor import AccessDenied, Actor
from remission.store.base import PatientOwned, utc_now
from remission.store.course_kinds import BASELINE_FORM, PATIENT_FORM, row_kind
from remission.store.missing_data_items import baseline_value, item_key
from remission.store.models import Patient
from remission.store.sdv_models import SDVState, SourceVerification
from remission.store.vocabulary import Role

#: Columns of a row that are the store's bookkeeping, not recorded by a person.
_BOOKKEEPING = frozenset({"id", "version", "created_at", "patient_id", "site_id"})
#: ``session.info`` key: the marks this flush's hook reset or deleted (by ``id()``).
_HOOK_WRITES = "sdv_hook_writes"
_SHOWN = 80
#: Columns whose values are identifiers: a reset note names their change without the values.
_WITHHELD = frozenset({"date_of_birth"})


def _shown(value: Any) -> str:
    """A value as the reset note shows it: dates in ISO form, long text cut."""
    if value is None:
        text = "empty"
    elif isinstance(value, Enum):
        text = str(value.value)
    elif isinstance(value, date | datetime):
        text = value.isoformat()
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _change(name: str, old: Any, new: Any) -> str:
    if name.rsplit(".", 1)[-1] in _WITHHELD:
        return f"{name} changed (identifier: values not shown)"
    return f"{name} changed from {_shown(old)} to {_shown(new)}"


def _column_changes(obj: object) -> dict[str, tuple[Any, Any]]:
    """``{column: (old, new)}`` of the columns of ``obj`` changed in this flush."""
    state = inspect(obj)
    changed = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if attr.key in _BOOKKEEPING or not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else getattr(obj, attr.key)
        if old != new:
            changed[attr.key] = (old, new)
    return changed


def _notes_for_row(obj: PatientOwned, segment: str) -> Iterator[tuple[str, str]]:
    """(item, note) of every item of a changed course row whose mark must reset."""
    changes = _column_changes(obj)
    for column, (old, new) in changes.items():
        yield item_key(segment, row_id=obj.id, field=column), _change(column, old, new)
    if changes:
        words = "; ".join(_change(column, old, new) for column, (old, new) in changes.items())
        yield item_key(segment, row_id=obj.id), words


def _patient_notes(patient: Patient, marks: list[SourceVerification]) -> Iterator[tuple[str, str]]:
    """(item, note) of the patient's marked baseline paths and columns whose values changed."""
    changes = _column_changes(patient)
    for column, (old, new) in changes.items():
        if column != "baseline":
            yield item_key(PATIENT_FORM, field=column), _change(column, old, new)
    if "baseline" not in changes:
        return
    old_baseline, new_baseline = (value or {} for value in changes["baseline"])
    for mark in marks:
        if mark.form == BASELINE_FORM and mark.field:
            old, new = baseline_value(old_baseline, mark.field), baseline_value(new_baseline, mark.field)
            if old != new:
                yield mark.item, _change(mark.field, old, new)


def _marks_of(session: Session, patient_ids: set[int]) -> list[SourceVerification]:
    with session.no_autoflush:
        return list(
            session.scalars(
                select(SourceVerification).where(SourceVerification.patient_id.in_(sorted(patient_ids)))
            )
        )


def reset_changed_marks(session: Session, flush_context: Any, instances: Any) -> None:
    """``before_flush`` hook: reset the verified marks of every value changed in this flush, and
    delete the marks of every course row deleted in it (audited with the write's reason)."""
    touched: set[int] = set()
    session.info[_HOOK_WRITES] = touched
    changed = [
        obj
        for obj in session.dirty
        if (isinstance(obj, Patient) or row_kind(obj) is not None)
        and session.is_modified(obj, include_collections=False)
    ]
    deleted = [(obj.patient_id, kind.segment, obj.id) for obj in session.deleted if (kind := row_kind(obj))]
    if not changed and not deleted:
        return
    patient_ids = {obj.id if isinstance(obj, Patient) else obj.patient_id for obj in changed}
    marks = _marks_of(session, patient_ids | {patient for patient, _, _ in deleted})
    if not marks:
        return
    by_patient: dict[int, list[SourceVerification]] = {}
    for mark in marks:
        by_patient.setdefault(mark.patient_id, []).append(mark)
    notes: dict[tuple[int, str], str] = {}
    for obj in changed:
        if isinstance(obj, Patient):
            found = _patient_notes(obj, by_patient.get(obj.id, []))
            notes.update(((obj.id, item), note) for item, note in found)
        elif (kind := row_kind(obj)) is not None and isinstance(obj, PatientOwned):
            notes.update(((obj.patient_id, item), note) for item, note in _notes_for_row(obj, kind.segment))
    gone = {(patient, item_key(segment, row_id=row_id)) for patient, segment, row_id in deleted}
    for mark in marks:
        if any(mark.patient_id == patient and mark.item.startswith(prefix) for patient, prefix in gone):
            if mark not in session.deleted:
                session.delete(mark)
                touched.add(id(mark))
        elif mark.state is SDVState.VERIFIED and (note := notes.get((mark.patient_id, mark.item))):
            mark.state, mark.reset_at = SDVState.RESET, utc_now()
            mark.reset_note = f"{note} after verification"
            touched.add(id(mark))


def may_verify(actor: Actor) -> bool:
    """Whether ``actor`` marks items verified: a monitor (or the system acting for one, the demo).

    Data managers are left out on purpose: they may write every site's clinical rows, and the
    person who can enter a value should not be the one who verifies it against the source.
    """
    return actor.system or Role.MONITOR in actor.study_roles


def check_mark_write(session: Session, actor: Actor, obj: SourceVerification) -> None:
    """Refuse an SDV mark written by anyone but a monitor, unless this flush's hook reset or deleted
    it because its value changed or its row went (whoever made that change)."""
    if id(obj) in session.info.get(_HOOK_WRITES, ()):
        return
    if not may_verify(actor):
        raise AccessDenied(f"{actor.username} may not mark source data verified (a monitor's task)")
    if obj in session.deleted:
        raise AccessDenied("an SDV mark goes only with its row; a monitor verifies again, never deletes")
