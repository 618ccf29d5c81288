"""Registry age strings: every unit, no-limit forms, and malformed strings."""

from __future__ import annotations

import pytest

from remission.record.ages import AgeUnit
from remission.trials import AgeFormatError, parse_registered_age


class TestUnits:
    @pytest.mark.parametrize(
        ("text", "value", "unit"),
        [
            ("18 Years", 18, AgeUnit.YEARS),
            ("1 Year", 1, AgeUnit.YEARS),
            ("12 Months", 12, AgeUnit.MONTHS),
            ("1 Month", 1, AgeUnit.MONTHS),
            ("28 Days", 28, AgeUnit.DAYS),
            ("1 Day", 1, AgeUnit.DAYS),
        ],
    )
    def test_calendar_units_are_kept_exact(self, text: str, value: int, unit: AgeUnit) -> None:
        """Years, months and days stay in their own unit: 12 Months is never 1 year or 365 days."""
        age = parse_registered_age(text)
        assert age is not None
        assert (age.value, age.unit, age.text) == (value, unit, text)

    def test_weeks_become_seven_days_each(self) -> None:
        """6 Weeks is compared as 42 completed days, and the trace says how."""
        age = parse_registered_age("6 Weeks")
        assert age is not None
        assert (age.value, age.unit, age.conversion) == (42, AgeUnit.DAYS, "6 weeks = 42 days")

    def test_whole_days_in_hours_are_converted(self) -> None:
        """48 Hours is exactly 2 days."""
        age = parse_registered_age("48 Hours")
        assert age is not None
        assert (age.value, age.unit) == (2, AgeUnit.DAYS)

    def test_hours_that_are_not_whole_days_cannot_be_computed(self) -> None:
        """36 Hours cannot be compared with dates, so the bound is kept for a person."""
        age = parse_registered_age("36 Hours")
        assert age is not None
        assert not age.computable
        assert age.conversion == "36 hours is not a whole number of days"

    def test_minutes_that_are_whole_days_are_converted(self) -> None:
        """1440 Minutes is exactly 1 day."""
        age = parse_registered_age("1440 Minutes")
        assert age is not None
        assert (age.value, age.unit) == (1, AgeUnit.DAYS)


class TestNoLimit:
    @pytest.mark.parametrize("text", ["N/A", "N/A (No limit)", None])
    def test_no_limit_forms_give_none(self, text: str | None) -> None:
        """N/A and an absent field mean that there is no bound."""
        assert parse_registered_age(text) is None


class TestMalformed:
    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("12 Moons", "unknown unit 'Moons'"),
            ("twelve months", "is not '<number> <unit>'"),
            ("18", "is not '<number> <unit>'"),
            ("1.5 Years", "whole numbers"),
            (18, "is not an age string"),
        ],
    )
    def test_malformed_ages_are_refused_with_the_reason(self, text: object, message: str) -> None:
        """A string that is neither '<number> <unit>' nor N/A is an error naming what is wrong."""
        with pytest.raises(AgeFormatError, match=message):
            parse_registered_age(text)
