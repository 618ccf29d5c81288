"""The report's per-patient study flow and adverse events, read from the store (de-identified).

:func:`read_report_tables` is the way the study report gets what the endpoint dataset does not
hold: each patient's way through the study under one protocol (registered, screened, eligible,
enrolled, stratified, arm) and every adverse event of the enrolled patients with their arm.
The counting (the CONSORT flow, the worst grade per term) is the report's
(:mod:`remission.stats.report`); the store hands it rows.

Definitions, at the data cut ``as_of`` (nothing dated later is read):

- *registered*: every patient the actor may read whose diagnosis is not after the cut (a
  patient without a diagnosis date is registered);
- *screened*: registered with a diagnosis recorded (the record's ``diagnosis``): the
  protocol's eligibility reads it;
- *verdict*: for a patient enrolled under the protocol by the cut, the verdict stored with
  the enrollment (the screening it was made on); for the others, the protocol's screening of
  the current record on the cut date;
- *enrolled*: enrolled under the protocol on or before the cut;
- *risk group* and *arm*: the current assignment under the protocol (``pending`` without one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa
from sqlalchemy import select

from remission.protocols import PENDING, load_protocol, screen_patients
from remission.store.actor import Actor
from remission.store.audit import record_event
from remission.store.current_risk import current_assignments
from remission.store.database import Store
from remission.store.dataset import require_dataset_reader
from remission.store.models import AdverseEvent, Enrollment, Patient
from remission.store.patient_list import diagnosis_date
from remission.store.record_batch import read_patient_records
from remission.store.session import StudySession
from remission.store.vocabulary import AuditAction

#: The ``entity`` of the audit entry a read of the report tables writes.
AUDIT_ENTITY = "report_tables"

FLOW_SCHEMA = pa.schema(
    [  # type: ignore[arg-type]  # pyarrow-stubs: list types are DataType too
        ("patient_key", pa.string()),
        ("site", pa.string()),
        ("screened", pa.bool_()),
        ("verdict", pa.string()),
        ("failing", pa.list_(pa.string())),
        ("unresolved", pa.list_(pa.string())),
        ("enrolled", pa.bool_()),
        ("risk_group", pa.string()),
        ("arm", pa.string()),
    ]
)
ADVERSE_EVENT_SCHEMA = pa.schema(
    [  # type: ignore[arg-type]
        ("patient_key", pa.string()),
        ("terminology", pa.string()),
        ("term", pa.string()),
        ("grade", pa.int8()),
    ]
)


@dataclass(frozen=True)
class ReportTables:
    """One protocol's flow (a row per registered patient) and the adverse events of its enrolled
    patients (a row per event, ``patient_key`` joins the flow)."""

    protocol_id: str
    as_of: date
    flow: pa.Table
    adverse_events: pa.Table


def _flow(session: StudySession, protocol_id: str, as_of: date) -> pa.Table:
    protocol = load_protocol(protocol_id)
    people = [
        (patient, record)
        # The screening runs here, on the whole record: only its verdict and criterion ids leave.
        for patient, record in read_patient_records(session, withhold=False)
        if (diagnosis_date(patient.baseline) or as_of) <= as_of
    ]
    enrollments = {
        row.patient_id: row
        for row in session.scalars(
            select(Enrollment).where(Enrollment.protocol_id == protocol.id, Enrollment.enrolled_on <= as_of)
        )
    }
    current = current_assignments(session, patient_ids=[p.id for p, _ in people], as_of=as_of)
    to_screen = [(p, r) for p, r in people if p.id not in enrollments and r.diagnosis is not None]
    screened = dict(
        zip(
            (p.id for p, _ in to_screen),
            screen_patients((r for _, r in to_screen), protocol, as_of=as_of),
            strict=True,
        )
    )
    rows: list[dict[str, Any]] = []
    for patient, record in people:
        enrollment = enrollments.get(patient.id)
        risk = next((c for c in current.get(patient.id, []) if c.protocol_id == protocol.id), None)
        row: dict[str, Any] = {
            "patient_key": patient.study_id,
            "site": record.patient.site,
            "screened": record.diagnosis is not None or enrollment is not None,
            "enrolled": enrollment is not None,
            "risk_group": (risk.risk_group if risk else PENDING) if enrollment else None,
            "arm": risk.arm if risk and enrollment else None,
        }
        if enrollment is not None:
            stored = enrollment.screening
            row |= {"verdict": enrollment.verdict, "failing": stored.get("failing") or []}
            row["unresolved"] = stored.get("unresolved") or []
        elif (result := screened.get(patient.id)) is not None:
            row |= {"verdict": result.verdict.value, "failing": result.failing}
            row["unresolved"] = result.unresolved
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=FLOW_SCHEMA)


def _adverse_events(session: StudySession, flow: pa.Table, as_of: date) -> pa.Table:
    keys, flags = flow["patient_key"].to_pylist(), flow["enrolled"].to_pylist()
    enrolled = {key for key, yes in zip(keys, flags, strict=True) if yes}
    statement = (
        select(Patient.study_id, AdverseEvent.terminology, AdverseEvent.term, AdverseEvent.grade)
        .join(Patient, Patient.id == AdverseEvent.patient_id)
        .where(AdverseEvent.onset_date <= as_of)
        .order_by(Patient.study_id, AdverseEvent.id)
    )
    rows = [
        {"patient_key": key, "terminology": terminology, "term": term, "grade": grade}
        for key, terminology, term, grade in session.execute(statement)
        if key in enrolled
    ]
    return pa.Table.from_pylist(rows, schema=ADVERSE_EVENT_SCHEMA)


def read_report_tables(store: Store, *, actor: Actor, protocol_id: str, as_of: date) -> ReportTables:
    """The flow and adverse events under ``protocol_id`` at the data cut ``as_of``, for ``actor``.

    The roles of :func:`remission.store.read_endpoint_dataset` may read them (the rows are
    de-identified: study ids, site codes, categories); the read is written to the audit trail
    (action ``export``, entity ``report_tables``). Raises ``AccessDenied`` for other roles and
    ``InputError`` for an unknown protocol.
    """
    require_dataset_reader(actor)
    with store.session(actor) as session:
        flow = _flow(session, protocol_id, as_of)
        events = _adverse_events(session, flow, as_of)
    with store.session(actor) as session:
        note = f"protocol={protocol_id} rows={flow.num_rows} adverse_events={events.num_rows} as_of={as_of}"
        record_event(session, AuditAction.EXPORT, AUDIT_ENTITY, None, None, note=note + " purpose=report")
    return ReportTables(protocol_id, as_of, flow, events)
