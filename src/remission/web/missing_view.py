"""What the patient page shows of missing-data codes and of the patient's calendar.

The codes come from the store (:func:`remission.store.list_missing_codes`), the calendar from
:func:`remission.store.read_calendar`. The items a code may be recorded on are the empty baseline
fields of the correction form and the empty optional fields of each course row; the store checks
the item again when the code is saved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from remission.store import (
    BASELINE_FORM,
    CALENDAR_FORM,
    COURSE_KINDS,
    MissingCode,
    MissingDataCode,
    Patient,
    ProtocolCalendar,
    StudySession,
    baseline_value,
    list_missing_codes,
    read_calendar,
)
from remission.web.baseline_form import FIELDS as BASELINE_FIELDS
from remission.web.fields import FIELDS as COURSE_FIELDS

CODES: tuple[str, ...] = tuple(code.value for code in MissingCode)
_BASELINE_LABELS = {spec.name: spec.label for spec in BASELINE_FIELDS}
_KINDS = {kind.segment: kind for kind in COURSE_KINDS}
#: The calendar states on which an assessment may be marked *not done* (owed, not done yet).
OPEN_STATES = frozenset({"not scheduled yet", "upcoming", "due", "overdue"})


def _course_label(segment: str, field: str) -> str:
    labels = {spec.name: spec.label for spec in COURSE_FIELDS.get(segment, ())}
    return labels.get(field, field.replace("_", " "))


def item_label(code: MissingDataCode) -> str:
    """The item of a code in words: ``WBC at diagnosis``, ``adverse event 12: resolution date``, …"""
    if code.form == BASELINE_FORM:
        return _BASELINE_LABELS.get(code.field or "", code.field or "")
    if code.form == CALENDAR_FORM:
        return " · ".join(filter(None, (code.protocol_id, code.assessment, code.occurrence)))
    kind = _KINDS.get(code.form)
    title = kind.title if kind else code.form
    return f"{title} {code.row_id}: {_course_label(code.form, code.field or '')}"


def item_choices(
    patient: Patient, rows: Mapping[str, Sequence[Any]], coded: set[str]
) -> list[tuple[str, str]]:
    """(value, label) of every empty field a code may be recorded on: ``baseline|PATH`` or
    ``SEGMENT|ROW|COLUMN``; items that carry a code already are left out."""
    choices = [
        (f"{BASELINE_FORM}|{spec.name}", f"Baseline: {spec.label}")
        for spec in BASELINE_FIELDS
        if baseline_value(patient.baseline, spec.name) is None and f"{BASELINE_FORM}:{spec.name}" not in coded
    ]
    for kind in COURSE_KINDS:
        optional = [name for name, info in kind.create.model_fields.items() if not info.is_required()]
        for row in rows.get(kind.segment, ()):
            for name in optional:
                empty = getattr(row, name, None) is None
                if empty and f"{kind.segment}#{row.id}:{name}" not in coded:
                    label = f"{kind.title.capitalize()} {row.id}: {_course_label(kind.segment, name)}"
                    choices.append((f"{kind.segment}|{row.id}|{name}", label))
    return choices


@dataclass(frozen=True)
class MissingView:
    """The codes with their items in words, the items a code may go on, and the calendars."""

    codes: list[tuple[MissingDataCode, str]]
    choices: list[tuple[str, str]]
    calendars: list[ProtocolCalendar]
    #: Baseline record path → its code, for the summary ("recorded as not done").
    baseline: dict[str, str]
    code_values: tuple[str, ...] = CODES
    open_states: frozenset[str] = OPEN_STATES


def missing_view(
    session: StudySession, patient: Patient, rows: Mapping[str, Sequence[Any]], *, today: date
) -> MissingView:
    codes = list_missing_codes(session, patient_id=patient.id)
    return MissingView(
        codes=[(code, item_label(code)) for code in codes],
        choices=item_choices(patient, rows, {code.item for code in codes}),
        calendars=read_calendar(session, patient_id=patient.id, as_of=today),
        baseline={c.field: c.code.value for c in codes if c.form == BASELINE_FORM and c.field},
    )


def baseline_codes(session: StudySession, patient_id: int) -> dict[str, str]:
    """Baseline record path → its missing-data code, for the correction form."""
    return {
        code.field: code.code.value
        for code in list_missing_codes(session, patient_id=patient_id)
        if code.form == BASELINE_FORM and code.field
    }


def parse_item(text: str) -> dict[str, Any]:
    """The store's item keywords from a chosen ``baseline|PATH`` or ``SEGMENT|ROW|COLUMN``; an
    unreadable choice goes to the store as it is, which names the field it refuses."""
    parts = text.split("|")
    if len(parts) == 3 and parts[1].isdigit():
        return {"form": parts[0], "row_id": int(parts[1]), "field": parts[2]}
    if len(parts) == 2:
        return {"form": parts[0], "field": parts[1]}
    return {"form": BASELINE_FORM, "field": text or None}
