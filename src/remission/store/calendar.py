"""A patient's calendar of assessments, from the stored course and the protocols they are enrolled in.

The decision itself is :func:`remission.conduct.child_calendar` (pure); this module hands it what
the store holds: the phases of the current arm (or provisional track), the phase dates (actual,
else planned), the rows collected and the missing-data codes of assessment occurrences. Site
isolation comes with :func:`read_patient_chart`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from remission.conduct import CalendarItem, Collected, ItemState, PhaseDates, child_calendar
from remission.protocols import Protocol, load_protocol
from remission.record.vocabulary import MissingCode
from remission.store.accounts import site_by_code
from remission.store.current_risk import CurrentRisk
from remission.store.missing_data_models import CALENDAR_FORM, MissingDataCode
from remission.store.models import TreatmentPhaseRecord
from remission.store.patient_chart import PatientChart, read_patient_chart
from remission.store.patients import list_patients
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


def _collected(chart: PatientChart) -> list[Collected]:
    rows = chart.rows
    found = [Collected("mrd", row.sample_date, row.time_point.value) for row in rows.get("mrd", [])]
    for form in ("anthracycline-doses", "transplants", "follow-ups"):
        found.extend(Collected(form, row.date) for row in rows.get(form, []))
    return found


def _assessment_codes(
    session: StudySession, patient_id: int
) -> dict[str, dict[tuple[str, str], MissingCode]]:
    """The codes of the patient's assessment occurrences: by protocol, (assessment, occurrence) → code."""
    codes: dict[str, dict[tuple[str, str], MissingCode]] = {}
    rows = session.scalars(
        select(MissingDataCode).where(
            MissingDataCode.patient_id == patient_id, MissingDataCode.form == CALENDAR_FORM
        )
    )
    for row in rows:
        codes.setdefault(row.protocol_id or "", {})[row.assessment or "", row.occurrence or ""] = row.code
    return codes


def read_calendar(session: StudySession, *, patient_id: int, as_of: date) -> list[ProtocolCalendar]:
    """The patient's calendar under each protocol they are enrolled in, on ``as_of``; an occurrence
    with a missing-data code is *not done* (:func:`remission.store.set_missing_code`)."""
    chart = read_patient_chart(session, patient_id=patient_id)
    codes = _assessment_codes(session, patient_id)
    calendars = []
    for risk in chart.current_risk:
        protocol = load_protocol(risk.protocol_id)
        items = child_calendar(
            protocol,
            phases=arm_phases(protocol, risk),
            phase_dates=phase_dates(chart.rows.get("treatment-phases", [])),
            collected=_collected(chart),
            as_of=as_of,
            diagnosed=chart.diagnosed,
            possible_phases=_possible_phases(protocol, risk),
            missing_codes=codes.get(protocol.id, {}),
        )
        calendars.append(
            ProtocolCalendar(protocol.id, protocol.version, risk.arm, risk.provisional_track, items)
        )
    return calendars


#: The states a worklist shows: what a site must collect now (a *not done* item is resolved).
WORKLIST_STATES = (ItemState.OVERDUE, ItemState.DUE)


@dataclass(frozen=True)
class WorklistLine:
    """One assessment a site owes for one patient."""

    patient_id: int
    study_id: str
    protocol_id: str
    item: CalendarItem

    def to_dict(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "study_id": self.study_id,
            "protocol_id": self.protocol_id,
        } | self.item.to_dict()


def site_worklist(session: StudySession, *, site_code: str, as_of: date) -> list[WorklistLine]:
    """What is overdue, then due, across the site's patients the actor may read, on ``as_of``.

    An unknown site is :class:`NotFound`; a site the actor may not read lists nothing.
    """
    site_by_code(session, code=site_code)
    lines = [
        WorklistLine(patient.id, patient.study_id, calendar.protocol_id, item)
        for patient in list_patients(session, site_code=site_code, limit=None)
        for calendar in read_calendar(session, patient_id=patient.id, as_of=as_of)
        for item in calendar.items
        if item.state in WORKLIST_STATES
    ]
    order = {state: rank for rank, state in enumerate(WORKLIST_STATES)}
    return sorted(
        lines, key=lambda line: (order[line.item.state], line.item.due_until or as_of, line.study_id)
    )
