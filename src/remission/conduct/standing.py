"""A calendar item's state on any date, from what does not change with the date.

An item is either *fixed* — not applicable on the arm, not scheduled yet, or not done (a
missing-data code) — or *scheduled*: it has a window and perhaps the date it was done. The state of
a scheduled item on a date follows from those: done (on or before the date), upcoming, due or
overdue. The store keeps the standing of every item (``calendar_entries``) and a worklist reads
states on any date from it without recomputing the calendars.
"""

from __future__ import annotations

from datetime import date

from remission.conduct.calendar import CalendarItem, ItemState, dated_state

SCHEDULED = "scheduled"
#: The states that depend on the date: an item in one of them has a window.
_DATED = frozenset({ItemState.UPCOMING, ItemState.DUE, ItemState.OVERDUE, ItemState.DONE})


def standing(item: CalendarItem) -> str:
    """``scheduled`` for an item whose state depends on the date, else its fixed state's value."""
    return SCHEDULED if item.state in _DATED else item.state.value


def state_on(
    standing_: str, due_from: date | None, due_until: date | None, done_on: date | None, as_of: date
) -> ItemState:
    """The state on ``as_of`` of an item with this standing, window and date done (the calendar's own
    rule, :func:`remission.conduct.calendar.dated_state`, for a scheduled item)."""
    if standing_ != SCHEDULED or due_from is None or due_until is None:
        return ItemState(standing_)
    return dated_state(due_from, due_until, done_on, as_of)
