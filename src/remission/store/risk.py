"""Risk stratification of enrolled patients, re-run when the data it waits for arrive."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from remission.protocols import load_protocol, stratify_patient
from remission.store.assembly import assemble_record
from remission.store.current_risk import current_assignments
from remission.store.models import Enrollment, Patient, RiskAssignment
from remission.store.session import StudySession


def restratify(session: StudySession, patient: Patient, *, on: date | None = None) -> list[RiskAssignment]:
    """Stratify the patient under each protocol they are enrolled in; store what changed."""
    created = []
    current = {
        row.protocol_id: row
        for row in current_assignments(session, patient_ids=[patient.id]).get(patient.id, [])
    }
    enrollments = session.scalars(select(Enrollment).where(Enrollment.patient_id == patient.id))
    for enrollment in list(enrollments):
        protocol = load_protocol(enrollment.protocol_id)
        record = assemble_record(session, patient, study_entry_date=enrollment.enrolled_on)
        result = stratify_patient(record, protocol, as_of=on or date.today())
        latest = current.get(protocol.id)
        outcome = (result.risk_group, result.arm, result.provisional_track)
        stored = None if latest is None or latest.assignment_id is None else latest
        if stored is not None and (stored.risk_group, stored.arm, stored.provisional_track) == outcome:
            continue
        assignment = RiskAssignment(
            patient_id=patient.id,
            site_id=patient.site_id,
            protocol_id=protocol.id,
            protocol_version=protocol.version,
            risk_group=result.risk_group,
            arm=result.arm,
            provisional_track=result.provisional_track,
            result=result.to_dict(),
            assigned_at=datetime.now(UTC),
        )
        session.add(assignment)
        session.flush()
        created.append(assignment)
    return created
