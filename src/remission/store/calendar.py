"""A patient's calendar of assessments, from the stored course and the protocols they are enrolled in.

The decision itself is :func:`remission.conduct.child_calendar` (pure); this module hands it what
the store holds: the phases of the current arm (or provisional track), the phase dates (actual,
else planned), the rows collected and the missing-data codes of assessment occurrences. Site
isolation comes with :func:`read_patient_chart`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from remission.conduct import CalendarItem, Collected, PhaseDates, child_calendar
from remission.protocols import Protocol, load_protocol
from remission.record.vocabulary import MissingCode
from remission.store.current_risk import CurrentRisk
from remission.store.missing_data_models import CALENDAR_FORM, MissingDataCode
from remission.store.models import Patient, TreatmentPhaseRecord
from remission.store.patient_chart import read_patient_chart
from remission.store.patient_list import diagnosis_date
from remission.store.session import StudySession


@dataclass(frozen=True)
class ProtocolCalendar:
    """The calendar under one protocol the patient is enrolled in."""

    protocol_id: str
    protocol_version: str
    arm: str | None
    provisional_track: str | None
    items: list[CalendarItem]

    def to_dict(self) -> dict[str, Any]:
        return {
            "protocol": {"id": self.protocol_id, "version": self.protocol_version},
            "arm": self.arm,
            "provisional_track": self.provisional_track,
            "items": [item.to_dict() for item in self.items],
        }


def arm_phases(protocol: Protocol, risk: CurrentRisk) -> list[str]:
    """The phase ids of the arm, else of the provisional track; none before either is known."""
    if risk.arm is not None:
        return next((list(arm.phases) for arm in protocol.arms if arm.id == risk.arm), [])
    strat = protocol.stratification
    if risk.provisional_track is not None and strat is not None:
        tracks = {track.id: track.phases for track in strat.provisional_tracks}
        return list(tracks.get(risk.provisional_track, []))
    return []


def _possible_phases(protocol: Protocol, risk: CurrentRisk) -> list[str]:
    """Phases of the arms the child may still be given: none once the arm is known; the arms of the
    track's possible groups on a provisional track; every arm's before either."""
    strat = protocol.stratification
    if risk.arm is not None or strat is None:
        return []
    arms = list(protocol.arms)
    if risk.provisional_track is not None:
        track = next((t for t in strat.provisional_tracks if t.id == risk.provisional_track), None)
        groups = {g.id: g.arm for g in strat.risk_groups}
        wanted = {groups.get(group) for group in track.possible_groups} if track else set()
        arms = [arm for arm in arms if arm.id in wanted]
    return list(dict.fromkeys(phase for arm in arms for phase in arm.phases))


def phase_dates(rows: Iterable[TreatmentPhaseRecord]) -> dict[str, PhaseDates]:
    """Each phase's dates from its rows: actual, else planned; a phase without a start is left out."""
    dates: dict[str, PhaseDates] = {}
    for row in rows:
        start = row.actual_start or row.planned_start
        if start is not None:
            dates[row.phase_id] = PhaseDates(start, row.actual_end or row.planned_end)
    return dates


def _collected(rows: Mapping[str, Sequence[Any]]) -> list[Collected]:
    # str(): a row written in this transaction may still hold the plain string it was given
    found = [Collected("mrd", row.sample_date, str(row.time_point)) for row in rows.get("mrd", [])]
    for form in ("anthracycline-doses", "transplants", "follow-ups", "cardiac-assessments"):
        found.extend(Collected(form, row.date) for row in rows.get(form, []))
    found.extend(
        Collected("phase-reports", row.date, phase=row.phase_id) for row in rows.get("phase-reports", [])
    )
    return found


#: The course forms a calendar reads.
CALENDAR_FORMS = (
    "treatment-phases",
    "mrd",
    "anthracycline-doses",
    "transplants",
    "follow-ups",
    "phase-reports",
    "cardiac-assessments",
)
#: Per protocol id, (assessment, occurrence) → the missing-data code recorded for it.
AssessmentCodes = dict[str, dict[tuple[str, str], MissingCode]]


def assessment_codes(session: StudySession, *, patient_ids: Sequence[int]) -> dict[int, AssessmentCodes]:
    """The codes of the patients' assessment occurrences, by patient."""
    codes: dict[int, AssessmentCodes] = {}
    rows = session.scalars(
        select(MissingDataCode).where(
            MissingDataCode.patient_id.in_(patient_ids), MissingDataCode.form == CALENDAR_FORM
        )
    )
    for row in rows:
        by_protocol = codes.setdefault(row.patient_id, {}).setdefault(row.protocol_id or "", {})
        by_protocol[row.assessment or "", row.occurrence or ""] = row.code
    return codes


def calendars_of(
    patient: Patient,
    risks: Sequence[CurrentRisk],
    rows: Mapping[str, Sequence[Any]],
    codes: AssessmentCodes,
    *,
    as_of: date,
) -> list[ProtocolCalendar]:
    """The patient's calendar under each protocol of ``risks``, from their rows of
    :data:`CALENDAR_FORMS`; an occurrence with a missing-data code is *not done*."""
    calendars = []
    for risk in risks:
        protocol = load_protocol(risk.protocol_id)
        items = child_calendar(
            protocol,
            phases=arm_phases(protocol, risk),
            phase_dates=phase_dates(rows.get("treatment-phases", [])),
            collected=_collected(rows),
            as_of=as_of,
            diagnosed=diagnosis_date(patient.baseline),
            possible_phases=_possible_phases(protocol, risk),
            missing_codes=codes.get(protocol.id, {}),
        )
        calendars.append(
            ProtocolCalendar(protocol.id, protocol.version, risk.arm, risk.provisional_track, items)
        )
    return calendars


def read_calendar(session: StudySession, *, patient_id: int, as_of: date) -> list[ProtocolCalendar]:
    """The patient's calendar under each protocol they are enrolled in, on ``as_of``; an occurrence
    with a missing-data code is *not done* (:func:`remission.store.set_missing_code`)."""
    chart = read_patient_chart(session, patient_id=patient_id)
    codes = assessment_codes(session, patient_ids=[chart.patient.id]).get(chart.patient.id, {})
    return calendars_of(chart.patient, chart.current_risk, chart.rows, codes, as_of=as_of)
