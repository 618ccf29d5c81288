"""A patient's course as one dated list: diagnosis, enrollment, risk assignments and every course row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from remission.store import DoseLine, Enrollment, RiskAssignment, course_kind
from remission.web.formatting import mg_text, mrd_text, value_text

#: Order of kinds on the same day: what happens first in a child's course comes first.
_ORDER = {
    "diagnosis": 0,
    "consents": 1,
    "enrollment": 2,
    "treatment-phases": 3,
    "mrd": 4,
    "risk": 5,
    "anthracycline-doses": 6,
    "adverse-events": 7,
    "transplants": 8,
    "relapses": 9,
    "follow-ups": 10,
    "deaths": 11,
    "phase-reports": 12,
    "cardiac-assessments": 13,
}


@dataclass
class TimelineEntry:
    """One dated event; ``segment`` and ``row_id`` link a course row to its edit form."""

    on: date | None
    kind: str
    title: str
    details: list[str] = field(default_factory=list)
    segment: str | None = None
    row_id: int | None = None
    entity: str | None = None
    risk: RiskAssignment | None = None

    @property
    def sort_key(self) -> tuple[date, int, int]:
        return (self.on or date.max, _ORDER.get(self.kind, 99), self.row_id or 0)


def _summary(
    segment: str, row: Any, phases: dict[str, str], exposure: dict[int, DoseLine]
) -> tuple[date | None, str, list[str]]:
    if segment == "consents":
        return row.date, f"Consent given by {row.given_by}", [f"form {row.form_version}"]
    if segment == "mrd":
        details = [f"method {value_text(row.method)}", f"time point {value_text(row.time_point)}"]
        if row.sensitivity_fraction is not None:
            details.append(f"sensitivity {mrd_text(row.sensitivity_fraction)}")
        return row.sample_date, f"MRD {mrd_text(row.value_fraction, row.positive_not_quantifiable)}", details
    if segment == "treatment-phases":
        label = phases.get(row.phase_id, row.phase_id)
        details = [
            f"planned {value_text(row.planned_start)} → {value_text(row.planned_end)}",
            f"actual {value_text(row.actual_start)} → {value_text(row.actual_end)}",
        ]
        if row.deviation:
            details.append(f"deviation: {row.deviation}")
        return row.actual_start or row.planned_start, f"Phase: {label}", details
    if segment == "transplants":
        return row.date, f"Allogeneic HSCT ({value_text(row.donor_type)} donor)", [row.conditioning_regimen]
    if segment == "adverse-events":
        details = [
            f"{row.terminology}",
            f"attribution {value_text(row.attribution)}",
            "serious" if row.serious else "not serious",
            f"resolved {value_text(row.resolution_date)}",
        ]
        return row.onset_date, f"Adverse event: {row.term}, grade {row.grade}", details
    if segment == "anthracycline-doses":
        line = exposure.get(row.id)
        details = [
            f"doxorubicin equivalent {mg_text(line.doxorubicin_equivalent_mg_per_m2 if line else None)}",
            f"running total {mg_text(line.running_total_mg_per_m2 if line else None)}",
        ]
        if row.dexrazoxane:
            details.append("with dexrazoxane")
        return row.date, f"Anthracycline: {row.drug} {row.dose_mg_per_m2:g} mg/m²", details
    if segment == "relapses":
        details = [f"timing {value_text(row.timing)}"]
        if row.treatment:
            details.append(f"treatment: {row.treatment}")
        if row.remission_before_second_hsct is not None:
            details.append(f"remission before second HSCT: {value_text(row.remission_before_second_hsct)}")
        return row.date, f"Relapse ({value_text(row.site)})", details
    if segment == "deaths":
        return row.date, "Death", [row.cause]
    if segment == "phase-reports":
        done = "completed as planned" if row.completed_as_planned else "not completed as planned"
        label = phases.get(row.phase_id, row.phase_id)
        return row.date, f"End-of-phase report: {label}", [done, *([row.note] if row.note else [])]
    if segment == "cardiac-assessments":
        details = [
            f"shortening fraction {value_text(row.shortening_fraction_percent)} %",
            f"ejection fraction {value_text(row.ejection_fraction_percent)} %",
            *([row.finding] if row.finding else []),
        ]
        return row.date, f"Cardiac assessment ({value_text(row.method)})", details
    return row.date, f"Follow-up: {value_text(row.status)}", []


def build_timeline(
    *,
    diagnosed: date | None,
    enrollments: list[Enrollment],
    assignments: list[RiskAssignment],
    rows: dict[str, list[Any]],
    phases: dict[str, str],
    exposure_by_row: dict[int, DoseLine],
) -> list[TimelineEntry]:
    """Every event in date order (undated last); the latest follow-up is marked *last follow-up*."""
    entries = [TimelineEntry(diagnosed, "diagnosis", "Diagnosis")] if diagnosed else []
    for enrollment in enrollments:
        title = f"Enrolled in {enrollment.protocol_id} v{enrollment.protocol_version}"
        details = [f"screening: {enrollment.verdict}", f"by {enrollment.enrolled_by}"]
        entries.append(TimelineEntry(enrollment.enrolled_on, "enrollment", title, details))
    for assignment in assignments:
        title = f"Risk assignment: {assignment.risk_group}"
        rests_on = assignment.result.get("data_date")
        dated = date.fromisoformat(rests_on) if rests_on else assignment.assigned_at.date()
        details = [f"from data of {rests_on}" if rests_on else "no data date stored"]
        details.append(f"computed {assignment.assigned_at.date().isoformat()}")
        entries.append(TimelineEntry(dated, "risk", title, details, risk=assignment))
    for segment, segment_rows in rows.items():
        for row in segment_rows:
            on, title, details = _summary(segment, row, phases, exposure_by_row)
            entity = course_kind(segment).model.__tablename__
            entries.append(TimelineEntry(on, segment, title, details, segment, row.id, entity))
    entries.sort(key=lambda entry: entry.sort_key)
    follow_ups = [entry for entry in entries if entry.kind == "follow-ups"]
    if follow_ups:
        follow_ups[-1].details.insert(0, "last follow-up")
    return entries
