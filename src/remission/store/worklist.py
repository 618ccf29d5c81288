"""A site's worklist and the study's overdue counts, read from the kept calendar entries.

Every calendar item's window, the date it was done and its fixed state are kept in
``calendar_entries`` (:mod:`remission.store.calendar_upkeep`), so what is due or overdue on any
date is one indexed query, not a recomputation of every calendar. Reads are site-scoped like every
clinical row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from remission.conduct import CalendarItem, ItemState
from remission.conduct.standing import SCHEDULED, state_on
from remission.record.vocabulary import MissingCode
from remission.store.accounts import site_by_code
from remission.store.calendar_models import CalendarEntry
from remission.store.calendar_upkeep import refresh_stale
from remission.store.models import Patient, Site
from remission.store.session import StudySession

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


def _owed_on(as_of: date) -> Any:
    """Entries due or overdue on ``as_of``: scheduled, the window opened, not done by then."""
    return (
        (CalendarEntry.standing == SCHEDULED)
        & (CalendarEntry.due_from <= as_of)
        & or_(CalendarEntry.done_on.is_(None), CalendarEntry.done_on > as_of)
    )


#: The columns a worklist line is built from (read as plain rows: no ORM object per line).
_LINE = (
    CalendarEntry.patient_id,
    Patient.study_id,
    CalendarEntry.protocol_id,
    CalendarEntry.assessment,
    CalendarEntry.label,
    CalendarEntry.occurrence,
    CalendarEntry.standing,
    CalendarEntry.due_from,
    CalendarEntry.due_until,
    CalendarEntry.done_on,
    CalendarEntry.missing_code,
)


def _line(row: Any, as_of: date) -> WorklistLine:
    state = state_on(row.standing, row.due_from, row.due_until, row.done_on, as_of)
    code = MissingCode(row.missing_code) if row.missing_code else None
    done = row.done_on if state is ItemState.DONE else None
    item = CalendarItem(
        row.assessment, row.label, row.occurrence, state, row.due_from, row.due_until, done, code
    )
    return WorklistLine(row.patient_id, row.study_id, row.protocol_id, item)


def site_worklist(
    session: StudySession, *, site_code: str, as_of: date, limit: int | None = None
) -> list[WorklistLine]:
    """What is overdue (oldest window first), then due, across the site's patients the actor may
    read, on ``as_of``; at most ``limit`` lines.

    An unknown site is :class:`NotFound`; a site the actor may not read lists nothing.
    """
    site = site_by_code(session, code=site_code)
    refresh_stale(session, site_id=site.id)
    overdue_first = CalendarEntry.due_until >= as_of  # False (overdue) sorts first
    statement = (
        select(*_LINE)
        .join(Patient, Patient.id == CalendarEntry.patient_id)
        .where(CalendarEntry.site_id == site.id, _owed_on(as_of))
        .order_by(overdue_first, CalendarEntry.due_until, Patient.study_id, CalendarEntry.position)
        .limit(limit)
    )
    return [_line(row, as_of) for row in session.execute(statement)]


@dataclass(frozen=True, slots=True)
class OwedCounts:
    """What a site owes on a date: assessments overdue, and due (window open, not yet overdue)."""

    overdue: int = 0
    due: int = 0


def owed_counts(session: StudySession, *, as_of: date) -> dict[str, OwedCounts]:
    """Per site code the actor may read, the assessments overdue and due on ``as_of``."""
    refresh_stale(session)
    overdue = CalendarEntry.due_until < as_of
    statement = (
        select(Site.code, overdue, func.count())
        .join(Site, Site.id == CalendarEntry.site_id)
        .where(_owed_on(as_of))
        .group_by(Site.code, overdue)
    )
    found: dict[str, dict[str, int]] = {}
    for code, late, count in session.execute(statement):
        found.setdefault(code, {})["overdue" if late else "due"] = int(count)
    return {code: OwedCounts(**counts) for code, counts in sorted(found.items())}
