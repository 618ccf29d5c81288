"""What a signature covers, as canonical JSON, and its SHA-256 digest.

A unit's content is the stored values a person sees when signing it: the row of an eligibility
decision (the enrollment with its screening), a risk assignment, a serious adverse event or an
end-of-phase report, with any missing-data codes on that row; or, for a casebook, the patient's
pseudonymous row and baseline record and every enrollment, risk assignment, course row and
missing-data code of the patient. Direct identifiers, data queries, signatures and the calendar
are not signed content. The store's bookkeeping columns (version, creation time, site) are left
out, so only a change of a recorded value changes the digest.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Table, inspect, select
from sqlalchemy.orm import Session

from remission.protocols.signature_plan import SignedUnit
from remission.store.base import PatientOwned
from remission.store.course_kinds import COURSE_KINDS, row_kind
from remission.store.missing_data_models import MissingDataCode
from remission.store.models import AdverseEvent, Enrollment, Patient, PhaseReport, RiskAssignment

#: The table each row unit signs.
UNIT_MODELS: dict[SignedUnit, type[PatientOwned]] = {
    SignedUnit.ELIGIBILITY: Enrollment,
    SignedUnit.RISK_ASSIGNMENT: RiskAssignment,
    SignedUnit.SERIOUS_ADVERSE_EVENT: AdverseEvent,
    SignedUnit.PHASE_REPORT: PhaseReport,
}
#: Patient-owned tables whose rows are a casebook's content.
CASEBOOK_MODELS: tuple[type[PatientOwned], ...] = (
    Enrollment,
    RiskAssignment,
    *(kind.model for kind in COURSE_KINDS),
    MissingDataCode,
)
_LEFT_OUT = frozenset({"version", "created_at", "site_id"})


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def row_values(row: object) -> dict[str, Any]:
    """The recorded values of a row by column, JSON-ready (bookkeeping columns left out)."""
    mapper = inspect(type(row))
    return {
        attr.key: _plain(getattr(row, attr.key)) for attr in mapper.column_attrs if attr.key not in _LEFT_OUT
    }


def _codes_of_row(session: Session, row: PatientOwned) -> list[dict[str, Any]]:
    kind = row_kind(row)
    if kind is None:
        return []
    prefix = f"{kind.segment}#{row.id}:"
    codes = session.scalars(
        select(MissingDataCode)
        .where(MissingDataCode.patient_id == row.patient_id, MissingDataCode.item.startswith(prefix))
        .order_by(MissingDataCode.item)
    )
    return [row_values(code) for code in codes]


def _table_rows(session: Session, model: type[PatientOwned], patient_id: int) -> list[dict[str, Any]]:
    """The patient's rows of one table as :func:`row_values` gives them, read in one plain SELECT
    (no objects are built: a casebook's digest is recomputed at every write to a signed patient)."""
    table: Table = model.__table__  # type: ignore[attr-defined]  # a Table on a mapped class
    rows = session.connection().execute(
        select(table).where(table.c.patient_id == patient_id).order_by(table.c.id)
    )
    return [{k: _plain(v) for k, v in row._mapping.items() if k not in _LEFT_OUT} for row in rows]


def unit_content(session: Session, *, patient: Patient, unit: SignedUnit, row_id: int | None) -> Any:
    """The signed content of a unit as it is stored now; ``None`` when its row is gone."""
    with session.no_autoflush:
        if unit is SignedUnit.CASEBOOK:
            return {
                "patient": row_values(patient),
                **{model.__tablename__: _table_rows(session, model, patient.id) for model in CASEBOOK_MODELS},
            }
        row = session.get(UNIT_MODELS[unit], row_id)
        if row is None or row.patient_id != patient.id:
            return None
        return {
            "study_id": patient.study_id,
            "row": row_values(row),
            "missing_codes": _codes_of_row(session, row),
        }


def content_digest(content: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``content`` (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unit_digest(session: Session, *, patient: Patient, unit: SignedUnit, row_id: int | None) -> str | None:
    """The digest of a unit's current content; ``None`` when its row is gone."""
    content = unit_content(session, patient=patient, unit=unit, row_id=row_id)
    return None if content is None else content_digest(content)


def describe_unit(session: Session, *, patient: Patient, unit: SignedUnit, row_id: int | None) -> str:
    """A unit in words for the signing screen, e.g. ``serious adverse event 12: Febrile neutropenia,
    grade 3, onset 2025-08-01``; the casebook names how many records it holds."""
    if unit is SignedUnit.CASEBOOK:
        content = unit_content(session, patient=patient, unit=unit, row_id=None)
        count = sum(len(rows) for key, rows in content.items() if key != "patient")
        return f"the whole casebook of {patient.study_id}: baseline record and {count} other records"
    row = session.get(UNIT_MODELS[unit], row_id) if row_id is not None else None
    if row is None or row.patient_id != patient.id:
        return f"{unit.value} {row_id} (no longer stored)"
    name = unit.value.replace("-", " ")
    if isinstance(row, Enrollment):
        detail = f"{row.protocol_id} v{row.protocol_version}, enrolled {row.enrolled_on}: {row.verdict}"
    elif isinstance(row, RiskAssignment):
        detail = f"{row.protocol_id}: risk group {row.risk_group}, arm {row.arm or '—'}"
    elif isinstance(row, AdverseEvent):
        detail = f"{row.term}, grade {row.grade}, onset {row.onset_date} ({row.terminology})"
    else:
        detail = ", ".join(
            f"{key} {value}" for key, value in row_values(row).items() if key not in ("id", "patient_id")
        )
    return f"{name} {row.id}: {detail}"
