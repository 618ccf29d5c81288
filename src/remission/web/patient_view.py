"""Everything the patient page shows, read in one study session for the viewer.

The decision engines read the record assembled from the stored rows
(:func:`remission.store.assembly.assemble_record`): therapy options from the shipped knowledge
base, and the shipped curated trials, both on today's date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import select

from remission.api.routes.events import SPECS
from remission.knowledge import TherapyReport, shipped_knowledge_base, therapy_options
from remission.protocols import load_protocol
from remission.record.anthracyclines import running_totals
from remission.store.assembly import assemble_record
from remission.store.models import AnthracyclineDose, Enrollment, Patient, RiskAssignment, Site
from remission.store.patients import get_patient
from remission.store.session import StudySession
from remission.trials import MatchReport, Trial, load_shipped_trial, match_trials, shipped_trial_ids
from remission.web.patient_list import diagnosis_date
from remission.web.timeline import TimelineEntry, build_timeline


@cache
def shipped_trials() -> tuple[Trial, ...]:
    """The curated trials shipped with the package (loaded once per process)."""
    return tuple(load_shipped_trial(trial_id) for trial_id in shipped_trial_ids())


@cache
def phase_labels(protocol_id: str) -> dict[str, str]:
    """Phase id to label of a shipped protocol."""
    protocol = load_protocol(protocol_id)
    return {phase.id: phase.label for phase in protocol.phases or []}


@dataclass(frozen=True)
class PatientView:
    patient: Patient
    site: str
    diagnosed: date | None
    enrollments: list[Enrollment]
    current_risk: list[RiskAssignment]
    timeline: list[TimelineEntry]
    exposure: list[dict[str, Any]]
    exposure_total: float | None
    therapy: TherapyReport
    trials: MatchReport
    protocol_phases: dict[str, str]


def dose_lines(session: StudySession, patient_id: int) -> list[dict[str, Any]]:
    """Each stored anthracycline dose in date order with its row, equivalent and running total (mg/m²)."""
    doses = list(
        session.scalars(
            select(AnthracyclineDose)
            .where(AnthracyclineDose.patient_id == patient_id)
            .order_by(AnthracyclineDose.date, AnthracyclineDose.id)
        )
    )
    lines = running_totals((dose.date, dose.drug, dose.dose_mg_per_m2) for dose in doses)
    return [
        {
            "row": dose,
            "doxorubicin_equivalent_mg_per_m2": line.doxorubicin_equivalent_mg_per_m2,
            "running_total_mg_per_m2": line.running_total_mg_per_m2,
        }
        for dose, line in zip(doses, lines, strict=True)
    ]


def _latest_per_protocol(assignments: list[RiskAssignment]) -> list[RiskAssignment]:
    latest: dict[str, RiskAssignment] = {}
    for assignment in assignments:
        latest[assignment.protocol_id] = assignment
    return list(latest.values())


def patient_view(session: StudySession, patient_id: int, *, today: date) -> PatientView:
    """The patient page's content; another site's patient raises ``NotFound`` like a missing one."""
    patient = get_patient(session, patient_id)
    site = session.get(Site, patient.site_id)
    enrollments = list(
        session.scalars(select(Enrollment).where(Enrollment.patient_id == patient.id).order_by(Enrollment.id))
    )
    assignments = list(
        session.scalars(
            select(RiskAssignment).where(RiskAssignment.patient_id == patient.id).order_by(RiskAssignment.id)
        )
    )
    rows = {
        spec.segment: list(
            session.scalars(
                select(spec.model).where(spec.model.patient_id == patient.id).order_by(spec.model.id)
            )
        )
        for spec in SPECS
    }
    phases: dict[str, str] = {}
    for enrollment in enrollments:
        phases |= phase_labels(enrollment.protocol_id)
    lines = dose_lines(session, patient.id)
    diagnosed = diagnosis_date(patient.baseline)
    timeline = build_timeline(
        diagnosed=diagnosed,
        enrollments=enrollments,
        assignments=assignments,
        rows=rows,
        phases=phases,
        exposure_by_row={line["row"].id: line for line in lines},
    )
    entry = enrollments[0].enrolled_on if enrollments else None
    record = assemble_record(session, patient, study_entry_date=entry)
    return PatientView(
        patient=patient,
        site=site.code if site else "?",
        diagnosed=diagnosed,
        enrollments=enrollments,
        current_risk=_latest_per_protocol(assignments),
        timeline=timeline,
        exposure=lines,
        exposure_total=lines[-1]["running_total_mg_per_m2"] if lines else 0.0,
        therapy=therapy_options(record, shipped_knowledge_base(), as_of=today),
        trials=match_trials(record, shipped_trials(), as_of=today),
        protocol_phases=phases,
    )
