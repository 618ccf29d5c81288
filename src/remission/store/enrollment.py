"""Enrolling a patient: screen, refuse the non-eligible, require attestation of every unknown."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from remission.protocols import Verdict, load_protocol, screen_patient
from remission.record.model import Attestation
from remission.store.assembly import assemble_record
from remission.store.errors import Refused
from remission.store.minimum_necessary import disclosed
from remission.store.models import Enrollment
from remission.store.patients import get_patient
from remission.store.risk import restratify
from remission.store.session import StudySession


def enroll_patient(
    session: StudySession,
    *,
    patient_id: int,
    protocol_id: str,
    enrolled_on: date,
    attestations: Sequence[Attestation] = (),
) -> Enrollment:
    """Enroll after screening on ``enrolled_on``. Refused unless the screening, with the
    attestations given, is *eligible*; the result and protocol version are stored."""
    patient = get_patient(session, patient_id=patient_id)
    protocol = load_protocol(protocol_id)
    if session.scalar(
        select(Enrollment).where(Enrollment.patient_id == patient.id, Enrollment.protocol_id == protocol.id)
    ):
        raise Refused("protocol_id", f"the patient is already enrolled in {protocol.id}")
    record = assemble_record(session, patient, study_entry_date=enrolled_on, attestations=attestations)
    result = screen_patient(record, protocol, as_of=enrolled_on)
    if result.verdict is Verdict.NOT_ELIGIBLE:
        raise Refused(
            "verdict",
            f"not eligible: {', '.join(result.failing)}",
            disclosed(session, patient, result.to_dict()),
        )
    if result.verdict is Verdict.NEEDS_REVIEW:
        raise Refused(
            "attestations",
            f"needs review: a named person must attest {', '.join(result.unresolved)}",
            disclosed(session, patient, result.to_dict()),
        )
    enrollment = Enrollment(
        patient_id=patient.id,
        site_id=patient.site_id,
        protocol_id=protocol.id,
        protocol_version=protocol.version,
        enrolled_on=enrolled_on,
        verdict=result.verdict.value,
        screening=result.to_dict(),
        enrolled_by=session.actor.username,
    )
    session.add(enrollment)
    session.flush()
    restratify(session, patient, on=enrolled_on)
    return enrollment
