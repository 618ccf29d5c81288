"""Everything the patient page shows: the stored chart and the decisions made from it.

The chart comes from the store (:func:`remission.store.read_patient_chart`). The decision
engines read the record assembled there: therapy options from the shipped knowledge base, and
the shipped curated trials, both on today's date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from remission.knowledge import (
    Group,
    TherapyReport,
    TherapyRow,
    shipped_knowledge_base,
    therapy_options,
    therapy_rows,
)
from remission.protocols import load_protocol
from remission.store import DoseLine, Enrollment, Patient, RiskAssignment, StudySession, read_patient_chart
from remission.trials import MatchReport, match_trials, shipped_trials
from remission.web.timeline import TimelineEntry, build_timeline


@cache
def phase_labels(protocol_id: str) -> dict[str, str]:
    """Phase id to label of a shipped protocol."""
    protocol = load_protocol(protocol_id)
    return {phase.id: phase.label for phase in protocol.phases or []}


def protocol_phases(protocol_ids: list[str]) -> dict[str, str]:
    """Phase id to label over the protocols given (later protocols win on a shared id)."""
    phases: dict[str, str] = {}
    for protocol_id in protocol_ids:
        phases |= phase_labels(protocol_id)
    return phases


@dataclass(frozen=True)
class PatientView:
    patient: Patient
    site: str
    diagnosed: date | None
    enrollments: list[Enrollment]
    current_risk: list[RiskAssignment]
    timeline: list[TimelineEntry]
    #: Course rows by kind segment, as the chart holds them.
    rows: dict[str, list[Any]]
    exposure: list[DoseLine]
    exposure_total: float | None
    therapy: TherapyReport
    trials: MatchReport

    @property
    def therapy_groups(self) -> list[tuple[Group, list[TherapyRow]]]:
        """One row per therapy under *applies now*, *would apply if…* and *does not apply*."""
        rows = therapy_rows(self.therapy)
        return [(group, [row for row in rows if row.group is group]) for group in Group]

    protocol_phases: dict[str, str]


def patient_view(session: StudySession, patient_id: int, *, today: date) -> PatientView:
    """The patient page's content; another site's patient raises ``NotFound`` like a missing one."""
    chart = read_patient_chart(session, patient_id=patient_id)
    phases = protocol_phases([enrollment.protocol_id for enrollment in chart.enrollments])
    timeline = build_timeline(
        diagnosed=chart.diagnosed,
        enrollments=chart.enrollments,
        assignments=chart.assignments,
        rows=chart.rows,
        phases=phases,
        exposure_by_row={line.row.id: line for line in chart.doses},
    )
    return PatientView(
        patient=chart.patient,
        site=chart.site,
        diagnosed=chart.diagnosed,
        enrollments=chart.enrollments,
        current_risk=chart.current_assignment_rows,
        timeline=timeline,
        rows=chart.rows,
        exposure=chart.doses,
        exposure_total=chart.exposure_total_mg_per_m2,
        therapy=therapy_options(chart.record, shipped_knowledge_base(), as_of=today),
        trials=match_trials(chart.record, shipped_trials(), as_of=today),
        protocol_phases=phases,
    )
