"""A child's calendar: every assessment the protocol owes on the child's arm, with its window and state.

The calendar is a pure function of the protocol (with its parameters), the phases the child's
arm or provisional track holds, the phase dates recorded, what has been collected, and the
as-of date. An assessment anchored to phases the arm does not hold is *not applicable on this
arm*; one whose anchor date is not recorded yet (the phase has not started or ended) is
*not scheduled yet*; otherwise its window gives *upcoming*, *due*, *overdue* or *done*. An owed
occurrence that carries a missing-data code is *not done*: resolved, but missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from remission.protocols.model import Protocol
from remission.protocols.schedule import Assessment, Milestone
from remission.record.anthracyclines import known_drugs
from remission.record.vocabulary import MissingCode
from remission.rules.expressions import ParamRef


class ItemState(StrEnum):
    NOT_APPLICABLE = "not applicable on this arm"
    NOT_SCHEDULED = "not scheduled yet"
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    DONE = "done"
    NOT_DONE = "not done"  # resolved but missing: the occurrence carries a missing-data code


@dataclass(frozen=True, slots=True)
class PhaseDates:
    start: date
    end: date | None = None  # None while the phase goes on


@dataclass(frozen=True, slots=True)
class Collected:
    """One collected row: its form (course-row kind), its date, its MRD time point if any, and the
    phase it reports on if it names one (an end-of-phase report)."""

    form: str
    on: date
    time_point: str | None = None
    phase: str | None = None


@dataclass(frozen=True, slots=True)
class CalendarItem:
    assessment: str
    label: str
    occurrence: str  # the phase id, "visit N", or "" for a single assessment
    state: ItemState
    due_from: date | None = None
    due_until: date | None = None
    done_on: date | None = None
    missing_code: MissingCode | None = None  # set when the state is NOT_DONE

    def to_dict(self) -> dict[str, Any]:
        return {
            "assessment": self.assessment,
            "label": self.label,
            "occurrence": self.occurrence,
            "state": self.state.value,
            "due_from": self.due_from.isoformat() if self.due_from else None,
            "due_until": self.due_until.isoformat() if self.due_until else None,
            "done_on": self.done_on.isoformat() if self.done_on else None,
            "missing_code": self.missing_code.value if self.missing_code else None,
        }


def _days(value: int | ParamRef, parameters: Mapping[str, Any]) -> int:
    return int(parameters[value.param]) if isinstance(value, ParamRef) else int(value)


def _anthracycline_phases(protocol: Protocol, phases: Sequence[str]) -> list[str]:
    drugs = set(known_drugs())
    by_id = {phase.id: phase for phase in protocol.phases}
    return [p for p in phases if p in by_id and drugs & {d.lower() for d in by_id[p].drugs}]


def _anchors(item: Assessment, protocol: Protocol, phases: Sequence[str]) -> list[str]:
    """The phases (or the milestone) the assessment is counted from on this arm; empty: not owed."""
    anchor = item.anchor
    if anchor.phases is not None:
        held = [phase for phase in phases if phase in anchor.phases]
        return held[:1]
    if anchor.each_phase == "all":
        return list(phases)
    if anchor.each_phase == "with_anthracycline":
        return _anthracycline_phases(protocol, phases)
    assert anchor.milestone is not None
    return [anchor.milestone.value] if phases or anchor.milestone is Milestone.DIAGNOSIS else []


def _anchor_date(
    item: Assessment,
    anchor: str,
    phases: Sequence[str],
    dates: Mapping[str, PhaseDates],
    diagnosed: date | None,
) -> date | None:
    if anchor == Milestone.DIAGNOSIS.value:
        return diagnosed
    if anchor == Milestone.END_OF_THERAPY.value:
        last = dates.get(phases[-1]) if phases else None
        return last.end if last else None
    period = dates.get(anchor)
    if period is None:
        return None
    return period.start if item.anchor.at == "start" else period.end


def _satisfying(
    item: Assessment,
    anchor: str,
    window: tuple[date, date],
    dates: Mapping[str, PhaseDates],
    collected: Sequence[Collected],
    as_of: date,
) -> date | None:
    """The date of the first row that satisfies the assessment: the same MRD time point; for a
    per-phase form, a row naming the phase, or one dated within it; otherwise a row dated within the
    window."""
    rows = [row for row in collected if row.form == item.collects.form.value]
    if item.collects.time_point is not None:
        rows = [row for row in rows if row.time_point == item.collects.time_point.value]
    elif item.anchor.each_phase is not None and anchor in dates:
        period = dates[anchor]
        rows = [
            row
            for row in rows
            if row.phase == anchor or (row.phase is None and period.start <= row.on <= (period.end or as_of))
        ]
    else:
        rows = [row for row in rows if window[0] <= row.on <= window[1]]
    return min((row.on for row in rows), default=None)


def child_calendar(
    protocol: Protocol,
    *,
    phases: Sequence[str],
    phase_dates: Mapping[str, PhaseDates],
    collected: Sequence[Collected],
    as_of: date,
    diagnosed: date | None = None,
    possible_phases: Sequence[str] = (),
    missing_codes: Mapping[tuple[str, str], MissingCode] | None = None,
) -> list[CalendarItem]:
    """Every assessment of ``protocol`` for one child on ``as_of``.

    ``phases`` are the phase ids of the child's arm, or of the provisional track while the
    final risk group is pending; empty before either is known. ``possible_phases`` are those
    of the arms the child may still be given (none once the arm is final): an assessment of
    such a phase is *not scheduled yet* rather than *not applicable*. ``missing_codes`` maps
    (assessment id, occurrence) to the code recorded for it: such an item is *not done* with its
    code, unless a collected row makes it *done* or the arm does not owe it.
    """
    parameters = protocol.parameter_values()
    items: list[CalendarItem] = []
    for item in protocol.schedule:
        anchors = _anchors(item, protocol, phases)
        if item.anchor.milestone is Milestone.END_OF_THERAPY and possible_phases:
            # On a provisional track the arm, and so its last phase, is not known yet.
            items.append(CalendarItem(item.id, item.label, "", ItemState.NOT_SCHEDULED))
            continue
        if not anchors:
            later = _anchors(item, protocol, [*phases, *possible_phases])
            state = ItemState.NOT_SCHEDULED if later else ItemState.NOT_APPLICABLE
            items.append(CalendarItem(item.id, item.label, "", state))
            continue
        before, after = _days(item.window.before_days, parameters), _days(item.window.after_days, parameters)
        offset = _days(item.anchor.days_after, parameters)
        for anchor in anchors:
            base = _anchor_date(item, anchor, phases, phase_dates, diagnosed)
            for number, step in enumerate(_steps(item, parameters), start=1):
                occurrence = _occurrence(item, anchor, number)
                if base is None:
                    items.append(CalendarItem(item.id, item.label, occurrence, ItemState.NOT_SCHEDULED))
                    continue
                on = base + timedelta(days=offset + step)
                window = (on - timedelta(days=before), on + timedelta(days=after))
                done = _satisfying(item, anchor, window, phase_dates, collected, as_of)
                state = dated_state(*window, done, as_of)
                done_on = done if state is ItemState.DONE else None  # a row dated after as_of is not yet
                items.append(CalendarItem(item.id, item.label, occurrence, state, *window, done_on))
    return [_coded(item, missing_codes) for item in items] if missing_codes else items


def _coded(item: CalendarItem, codes: Mapping[tuple[str, str], MissingCode]) -> CalendarItem:
    code = codes.get((item.assessment, item.occurrence))
    if code is None or item.state in (ItemState.DONE, ItemState.NOT_APPLICABLE):
        return item
    return replace(item, state=ItemState.NOT_DONE, missing_code=code)


def _steps(item: Assessment, parameters: Mapping[str, Any]) -> list[int]:
    """Days from the anchor date of each occurrence: 0, or every ``every_days`` for ``times`` visits."""
    if item.repeat is None:
        return [0]
    every, times = _days(item.repeat.every_days, parameters), _days(item.repeat.times, parameters)
    return [k * every for k in range(1, times + 1)]


def _occurrence(item: Assessment, anchor: str, number: int) -> str:
    """Which of an assessment's items this is: ``visit 2``, the phase id, or "" for a single one."""
    if item.repeat is not None:
        return f"visit {number}"
    return anchor if item.anchor.each_phase is not None else ""


def dated_state(due_from: date, due_until: date, done_on: date | None, as_of: date) -> ItemState:
    """The state on ``as_of`` of an item with a window: done (on or before that day), upcoming, due or
    overdue. The one rule for it: the kept worklist entries read states through it too."""
    if done_on is not None and done_on <= as_of:
        return ItemState.DONE
    if as_of < due_from:
        return ItemState.UPCOMING
    return ItemState.DUE if as_of <= due_until else ItemState.OVERDUE
