"""Building the engines' :class:`PatientRecord` from the stored rows of one patient.

The record carries the attestations stored for the patient: those that decided a criterion of
the screening an enrollment was made on (``Enrollment.screening``, criterion ``inputs``). An
attestation counts only for the protocol and criterion it names, so an attestation given when
enrolling in protocol NCT06516679 settles that criterion for the trial NCT06516679 (the same
eligibility) and nothing else. Attestations given at enrollment but disregarded because the
record decided the criterion are not kept in the screening, so they are not read back.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select

from remission.record.model import Attestation, PatientRecord
from remission.store.consent_versions import is_parental_permission
from remission.store.course_kinds import BASELINE_FORM
from remission.store.missing_data_models import MissingDataCode
from remission.store.models import (
    ConsentRecord,
    Enrollment,
    MRDMeasurement,
    Patient,
    Site,
    TreatmentPhaseRecord,
)
from remission.store.session import StudySession


def attestations_of(enrollments: Sequence[Enrollment]) -> list[Attestation]:
    """The attestations that decided criteria of ``enrollments`` (one patient's, in entry order).

    Each is read from the stored screening result and kept only when it names that
    enrollment's protocol and the criterion it was stored under, so none is carried over to
    another protocol or criterion.
    """
    found: list[Attestation] = []
    for enrollment in enrollments:
        for criterion in enrollment.screening.get("criteria", []):
            stored = (criterion.get("inputs") or {}).get("attestation")
            if not isinstance(stored, dict):
                continue
            attestation = Attestation.model_validate(stored)
            named = (attestation.protocol_id, attestation.criterion_id)
            if named == (enrollment.protocol_id, criterion.get("id")):
                found.append(attestation)
    return found


def stored_attestations(session: StudySession, patient: Patient) -> list[Attestation]:
    """The attestations that decided criteria of the patient's enrollments (:func:`attestations_of`)."""
    enrollments = session.scalars(
        select(Enrollment).where(Enrollment.patient_id == patient.id).order_by(Enrollment.id)
    )
    return attestations_of(list(enrollments))


def _without(baseline: dict[str, Any], coded: Collection[str]) -> dict[str, Any]:
    """``baseline`` with the dotted paths in ``coded`` removed (a copy; the stored one is kept)."""
    if not coded:
        return baseline
    result = copy.deepcopy(baseline)
    for path in coded:
        *parents, name = path.split(".")
        node: Any = result
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(name, None)
    return result


def record_from_rows(
    patient: Patient,
    *,
    site_code: str | None,
    consent: ConsentRecord | None,
    mrd: Iterable[MRDMeasurement],
    phases: Iterable[TreatmentPhaseRecord],
    attestations: Sequence[Attestation],
    study_entry_date: date | None,
    coded: Collection[str] = (),
) -> PatientRecord:
    """The record the decision engines read, from one patient's stored rows (no database).

    ``consent`` is the latest consent; ``phases`` only those with an actual start; ``mrd`` and
    ``phases`` in entry order. ``coded`` are the baseline paths that carry a missing-data code:
    they are left out, so a decision reads them as unknown even if a value slipped in beside the
    code (the store keeps a value or a code, never both; this holds if that rule was ever beaten).
    """
    data = {
        "patient": {
            "study_id": patient.study_id,
            "site": site_code,
            "sex": patient.sex,
            "date_of_birth": patient.date_of_birth,
        },
        **_without(patient.baseline, coded),
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


def assemble_record(
    session: StudySession,
    patient: Patient,
    *,
    study_entry_date: date | None = None,
    attestations: Sequence[Attestation] = (),
) -> PatientRecord:
    """The record the decision engines read, from the patient's baseline and course rows.

    Its attestations are the stored ones (:func:`stored_attestations`) followed by
    ``attestations``, so on the same date a given attestation decides over a stored one.
    """
    site = session.get(Site, patient.site_id)
    consent = session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.patient_id == patient.id, is_parental_permission())
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
    coded = session.scalars(
        select(MissingDataCode.field).where(
            MissingDataCode.patient_id == patient.id, MissingDataCode.form == BASELINE_FORM
        )
    )
    return record_from_rows(
        patient,
        coded=[path for path in coded if path],
        site_code=site.code if site else None,
        consent=consent,
        mrd=mrd,
        phases=phases,
        attestations=[*stored_attestations(session, patient), *attestations],
        study_entry_date=study_entry_date,
    )
