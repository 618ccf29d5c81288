"""Everything stored about one patient that a page shows, read in one study session.

The chart is the stored side of the patient page: the patient row, their site, enrollments,
every risk assignment and the current one under each protocol, the course rows of every kind,
the anthracycline dose lines and the record the decision engines read. Decisions made *from*
it (therapy options, trial matches, the timeline) belong to the callers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from remission.record.model import Attestation, PatientRecord
from remission.store.anthracycline_exposure import DoseLine, dose_lines
from remission.store.assembly import assemble_record
from remission.store.course_kinds import COURSE_KINDS
from remission.store.current_risk import CurrentRisk, current_assignments
from remission.store.models import Enrollment, Patient, RiskAssignment, Site
from remission.store.patient_list import diagnosis_date
from remission.store.patients import get_patient
from remission.store.session import StudySession


@dataclass(frozen=True)
class PatientChart:
    """One patient's stored data as the actor may read it."""

    patient: Patient
    site: str
    diagnosed: date | None
    enrollments: list[Enrollment]
    assignments: list[RiskAssignment]
    #: The current assignment under each protocol, first enrollment first.
    current_risk: list[CurrentRisk]
    #: Course rows by kind segment (``"mrd"``, ``"relapses"``, …), each in entry order.
    rows: dict[str, list[Any]]
    doses: list[DoseLine]
    record: PatientRecord

    @property
    def current_assignment_rows(self) -> list[RiskAssignment]:
        """The stored rows of the current assignments, first enrollment first (pending ones have none)."""
        by_id = {assignment.id: assignment for assignment in self.assignments}
        return [by_id[risk.assignment_id] for risk in self.current_risk if risk.assignment_id in by_id]

    @property
    def exposure_total_mg_per_m2(self) -> float | None:
        """The cumulative doxorubicin equivalent (0 without doses; ``None`` if not computable)."""
        return self.doses[-1].running_total_mg_per_m2 if self.doses else 0.0


def _enrollments(session: StudySession, patient_id: int) -> list[Enrollment]:
    return list(
        session.scalars(select(Enrollment).where(Enrollment.patient_id == patient_id).order_by(Enrollment.id))
    )


def list_enrollments(session: StudySession, *, patient_id: int) -> list[Enrollment]:
    """The patient's enrollments in entry order."""
    get_patient(session, patient_id=patient_id)
    return _enrollments(session, patient_id)


def list_risk_assignments(session: StudySession, *, patient_id: int) -> list[RiskAssignment]:
    """Every stored risk assignment of the patient, oldest first."""
    get_patient(session, patient_id=patient_id)
    return list(
        session.scalars(
            select(RiskAssignment).where(RiskAssignment.patient_id == patient_id).order_by(RiskAssignment.id)
        )
    )


def enrolled_protocol_ids(session: StudySession, *, patient_id: int) -> list[str]:
    """The protocols the patient is enrolled in, in entry order."""
    return [enrollment.protocol_id for enrollment in list_enrollments(session, patient_id=patient_id)]


def read_record(
    session: StudySession,
    *,
    patient_id: int,
    study_entry_date: date | None = None,
    attestations: Sequence[Attestation] = (),
) -> PatientRecord:
    """The record the decision engines read, assembled from the patient's stored rows.

    It is the chart's record (:func:`read_patient_chart`): the stored attestations, and without
    ``study_entry_date`` the date of the first enrollment, so every reader gives one answer.
    """
    patient = get_patient(session, patient_id=patient_id)
    if study_entry_date is None:
        study_entry_date = _first_entry(_enrollments(session, patient.id))
    return assemble_record(session, patient, study_entry_date=study_entry_date, attestations=attestations)


def _first_entry(enrollments: Sequence[Enrollment]) -> date | None:
    """The study entry date of the first enrollment (earliest date, then lowest id), if any."""
    first = min(enrollments, key=lambda e: (e.enrolled_on, e.id), default=None)
    return first.enrolled_on if first is not None else None


def read_patient_chart(session: StudySession, *, patient_id: int) -> PatientChart:
    """The patient's chart; another site's patient raises ``NotFound`` like a missing one."""
    patient = get_patient(session, patient_id=patient_id)
    site = session.get(Site, patient.site_id)
    enrollments = _enrollments(session, patient.id)
    rows = {
        kind.segment: list(
            session.scalars(
                select(kind.model).where(kind.model.patient_id == patient.id).order_by(kind.model.id)
            )
        )
        for kind in COURSE_KINDS
    }
    return PatientChart(
        patient=patient,
        site=site.code if site else "?",
        diagnosed=diagnosis_date(patient.baseline),
        enrollments=enrollments,
        assignments=list_risk_assignments(session, patient_id=patient.id),
        current_risk=current_assignments(session, patient_ids=[patient.id]).get(patient.id, []),
        rows=rows,
        doses=dose_lines(session, patient_id=patient.id),
        record=assemble_record(session, patient, study_entry_date=_first_entry(enrollments)),
    )
