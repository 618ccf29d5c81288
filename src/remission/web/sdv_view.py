"""What the pages show of source data verification: a patient's required items and marks, a site's worklist.

The states come from the store (:func:`remission.store.read_sdv_status`,
:func:`remission.store.sdv_worklist`); the store checks the item and the monitor's role again when
a mark is saved. An item is chosen on the page as ``FORM|ROW|FIELD`` (``adverse-events|7|`` for a
whole row, ``baseline||diagnosis.who_type``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from remission.store import (
    BASELINE_FIELDS,
    BASELINE_FORM,
    COURSE_KINDS,
    PATIENT_FIELDS,
    PATIENT_FORM,
    Patient,
    PatientSDV,
    RequiredItem,
    SourceVerification,
    StudySession,
    list_marks,
    read_sdv_status,
)

_KINDS = {kind.segment: kind for kind in COURSE_KINDS}


def sdv_item_label(form: str, row_id: int | None, field: str | None) -> str:
    """An item in words: ``baseline: genetics.kmt2a.status``, ``adverse event 7 (whole form)``, …"""
    if form in (BASELINE_FORM, PATIENT_FORM):
        return f"{form}: {(field or '').replace('_', ' ')}"
    title = _KINDS[form].title if form in _KINDS else form
    return f"{title} {row_id}: {field.replace('_', ' ')}" if field else f"{title} {row_id} (whole form)"


def item_value(form: str, row_id: int | None, field: str | None) -> str:
    """The page's value of an item, ``FORM|ROW|FIELD``."""
    return f"{form}|{row_id or ''}|{field or ''}"


def parse_sdv_item(text: str) -> dict[str, Any]:
    """``FORM|ROW|FIELD`` as the store's keywords (a row id that is not a number is left out)."""
    form, _, rest = text.partition("|")
    row, _, field = rest.partition("|")
    return {"form": form, "row_id": int(row) if row.isdigit() else None, "field": field or None}


@dataclass(frozen=True, slots=True)
class SDVView:
    """The patient page's SDV section."""

    status: PatientSDV
    marks: list[SourceVerification]
    choices: list[tuple[str, str]]

    @property
    def lines(self) -> list[tuple[RequiredItem, str, str]]:
        """(item, label, value) of every required item."""
        return [
            (
                item,
                sdv_item_label(item.form, item.row_id, item.field),
                item_value(item.form, item.row_id, item.field),
            )
            for item in self.status.items
        ]

    def mark_label(self, mark: SourceVerification) -> str:
        return sdv_item_label(mark.form, mark.row_id, mark.field)


def _choices(
    patient: Patient, rows: Mapping[str, Sequence[Any]], verified: set[str]
) -> list[tuple[str, str]]:
    """Every whole course row, patient column and baseline section a monitor may mark, less the verified."""
    items: list[tuple[str, int | None, str | None]] = [(PATIENT_FORM, None, name) for name in PATIENT_FIELDS]
    items += [
        (BASELINE_FORM, None, name)
        for name in BASELINE_FIELDS
        if (patient.baseline or {}).get(name) is not None
    ]
    items += [(segment, row.id, None) for segment in _KINDS for row in rows.get(segment, [])]
    return [(item_value(*item), sdv_item_label(*item)) for item in items if item_value(*item) not in verified]


def sdv_view(session: StudySession, patient: Patient, rows: Mapping[str, Sequence[Any]]) -> SDVView:
    """The patient's required items with their states, every mark, and the items a monitor may mark."""
    marks = list_marks(session, patient_id=patient.id)
    verified = {item_value(m.form, m.row_id, m.field) for m in marks if m.state.value == "verified"}
    return SDVView(read_sdv_status(session, patient_id=patient.id), marks, _choices(patient, rows, verified))
