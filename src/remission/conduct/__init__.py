"""Pure decisions about running a study: a child's calendar of assessments.

Nothing here reads the database: the store hands in what was collected, the protocol says what
is owed, and the functions return what is upcoming, due, overdue or done.
"""

from __future__ import annotations

from remission.conduct.calendar import (
    CalendarItem,
    Collected,
    ItemState,
    PhaseDates,
    child_calendar,
)

__all__ = ["CalendarItem", "Collected", "ItemState", "PhaseDates", "child_calendar"]
