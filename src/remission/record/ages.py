"""Ages computed from dates, in calendar units.

Ages are never typed in: they are derived from the date of birth and the date of
interest. Months and years are *completed* calendar units, so a child born on
2024-03-15 is 0 years old until 2025-03-15. A birthday on 29 February falls on
28 February in common years (the usual civil convention).
"""

from __future__ import annotations

import calendar
from datetime import date
from enum import StrEnum


class AgeUnit(StrEnum):
    """The unit an age is expressed in."""

    DAYS = "days"
    MONTHS = "months"
    YEARS = "years"


def add_months(start: date, months: int) -> date:
    """Return ``start`` moved by whole calendar months, clamped to the month's last day."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def age(date_of_birth: date, on: date, unit: AgeUnit) -> int:
    """Return the age on ``on`` in completed ``unit`` (days, months or years).

    Raises ``ValueError`` when ``on`` precedes ``date_of_birth``.
    """
    if on < date_of_birth:
        raise ValueError(f"{on.isoformat()} is before the date of birth {date_of_birth}")
    if unit is AgeUnit.DAYS:
        return (on - date_of_birth).days
    months = (on.year - date_of_birth.year) * 12 + (on.month - date_of_birth.month)
    if add_months(date_of_birth, months) > on:
        months -= 1
    return months if unit is AgeUnit.MONTHS else months // 12
