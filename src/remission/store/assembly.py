"""Building the engines' :class:`PatientRecord` from the stored rows of one patient."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from remission.record.model import Attestation, PatientRecord
from remission.store.models import ConsentRecord, MRDMeasurement, Patient, Site, TreatmentPhaseRecord
from remission.store.session import StudySession


def assemble_record(
    session: StudySession,
    patient: Patient,
    *,
    study_entry_date: date | None = None,
    attestations: Sequence[Attestation] = (),
) -> PatientRecord:
    """The record the decision engines read, from the patient's baseline and course rows."""
    site = session.get(Site, patient.site_id)
    consent = session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.patient_id == patient.id)
        .order_by(ConsentRecord.date.desc())
    ).first()
    mrd = session.scalars(
        select(MRDMeasurement).where(MRDMeasurement.patient_id == patient.id).order_by(MRDMeasurement.id)
    )
    phases = session.scalars(
        select(TreatmentPhaseRecord)
        .where(TreatmentPhaseRecord.patient_id == patient.id, TreatmentPhaseRecord.actual_start.is_not(None))
        .order_by(TreatmentPhaseRecord.id)
    )
    data = {
        "patient": {
            "study_id": patient.study_id,
            "site": site.code if site else None,
            "sex": patient.sex,
            "date_of_birth": patient.date_of_birth,
        },
        **patient.baseline,
        "consent": None
        if consent is None
        else {"given_by": consent.given_by, "date": consent.date, "form_version": consent.form_version},
        "study_entry_date": study_entry_date,
        "mrd": [
            {
                "time_point": row.time_point,
                "method": row.method,
                "sample_date": row.sample_date,
                "value_fraction": row.value_fraction,
                "positive_not_quantifiable": row.positive_not_quantifiable,
                "sensitivity_fraction": row.sensitivity_fraction,
            }
            for row in mrd
        ],
        "treatment_phases": [
            {"phase_id": row.phase_id, "start_date": row.actual_start, "end_date": row.actual_end}
            for row in phases
        ],
        "attestations": [a.model_dump() for a in attestations],
    }
    return PatientRecord.model_validate(data)
