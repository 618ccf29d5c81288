"""Enrolling a patient: screen, refuse the non-eligible, require attestation of every unknown."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from remission.protocols import Verdict, load_protocol, screen_patient
from remission.record.model import Attestation
from remission.store.assembly import assemble_record
from remission.store.consent_versions import enrollment_consent_problem, is_parental_permission
from remission.store.errors import Refused
from remission.store.minimum_necessary import disclosed
from remission.store.models import ConsentRecord, Enrollment, Patient
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
    attestations given, is *eligible*, and — when the study registers consent form versions —
    unless the parental permission it rests on is on a version approved on its date (refused on
    ``consent``); the result and protocol version are stored."""
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
    # After screening, so a child who is not eligible hears why first.
    problem = enrollment_consent_problem(
        session,
        consent=_resting_consent(session, patient, enrolled_on),
        protocol_id=protocol.id,
        enrolled_on=enrolled_on,
    )
    if problem is not None:
        raise Refused("consent", problem)
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


def _resting_consent(session: StudySession, patient: Patient, enrolled_on: date) -> ConsentRecord | None:
    """The consent an enrollment on ``enrolled_on`` rests on: the latest parental permission dated by then."""
    return session.scalars(
        select(ConsentRecord)
        .where(
            ConsentRecord.patient_id == patient.id,
            is_parental_permission(),
            ConsentRecord.date <= enrolled_on,
        )
        .order_by(ConsentRecord.date.desc(), ConsentRecord.id.desc())
        .limit(1)
    ).first()
