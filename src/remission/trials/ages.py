"""Ages as ClinicalTrials.gov writes them ("12 Months", "1 Year", "N/A") and the criteria they become.

The registry's Protocol Registration Data Element Definitions give an age bound as a number and
a unit of time (Years, Months, Weeks, Days, Hours, Minutes), or "N/A (No limit)". API v2 writes
it as ``"<number> <Unit>"``; a missing field, like ``N/A``, means no limit.

Units are kept exact: "12 Months" is compared in completed months, never turned into 1 year or
365 days. Weeks become days (7 days each), which is exact. Hours and minutes cannot be compared
with dates, so a non-zero bound in them becomes a criterion a person reviews; whole days written
in hours (``"48 Hours"``) are converted exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from remission.record.ages import AgeUnit

Bound = Literal["minimum", "maximum"]

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s+([A-Za-z]+)\s*$")
_UNITS = {
    "year": AgeUnit.YEARS,
    "years": AgeUnit.YEARS,
    "month": AgeUnit.MONTHS,
    "months": AgeUnit.MONTHS,
    "week": "weeks",
    "weeks": "weeks",
    "day": AgeUnit.DAYS,
    "days": AgeUnit.DAYS,
    "hour": "hours",
    "hours": "hours",
    "minute": "minutes",
    "minutes": "minutes",
}
_PER_DAY = {"hours": 24, "minutes": 24 * 60}
NO_LIMIT = ("N/A", "NA", "N/A (No limit)")


@dataclass(frozen=True, slots=True)
class RegisteredAge:
    """One age bound as registered, and how it can be compared with a child's dates.

    ``value``/``unit`` are the comparable form (``None`` when the bound cannot be compared with
    dates); ``text`` is the registered string; ``conversion`` says how weeks or hours were turned
    into days, for the trace.
    """

    text: str
    value: int | None
    unit: AgeUnit | None
    conversion: str | None = None

    @property
    def computable(self) -> bool:
        return self.value is not None


class AgeFormatError(ValueError):
    """An age string that is neither ``"<number> <unit>"`` nor ``N/A``."""


def parse_registered_age(text: object) -> RegisteredAge | None:
    """Read one age bound; ``None`` means no limit (``N/A`` or an absent field).

    Raises :class:`AgeFormatError` naming what is wrong with the string.
    """
    if text is None:
        return None
    if not isinstance(text, str):
        raise AgeFormatError(f"{text!r} is not an age string such as '12 Months' or 'N/A'")
    if text.strip() in NO_LIMIT:
        return None
    match = _AGE.match(text)
    if match is None:
        raise AgeFormatError(f"{text!r} is not '<number> <unit>' (e.g. '18 Years', '6 Weeks') or 'N/A'")
    number, unit_word = match.groups()
    unit = _UNITS.get(unit_word.lower())
    if unit is None:
        known = "Years, Months, Weeks, Days, Hours, Minutes"
        raise AgeFormatError(f"{text!r}: unknown unit {unit_word!r}; expected one of {known}")
    if "." in number:
        raise AgeFormatError(f"{text!r}: the registry writes whole numbers of a unit")
    count = int(number)
    if isinstance(unit, AgeUnit):
        return RegisteredAge(text, count, unit)
    if unit == "weeks":
        return RegisteredAge(text, count * 7, AgeUnit.DAYS, f"{count} weeks = {count * 7} days")
    per_day = _PER_DAY[unit]
    if count % per_day == 0:
        days = count // per_day
        return RegisteredAge(text, days, AgeUnit.DAYS, f"{count} {unit} = {days} days")
    return RegisteredAge(text, None, None, f"{count} {unit} is not a whole number of days")
