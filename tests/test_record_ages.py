"""Tests for remission.record.ages: ages in completed calendar units."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remission.record.ages import AgeUnit, add_months, age


class TestAddMonths:
    def test_moves_by_whole_months(self):
        """A day that exists in the target month is kept."""
        assert add_months(date(2024, 3, 15), 2) == date(2024, 5, 15)

    def test_crosses_the_year_end(self):
        """Months past December carry into the following year."""
        assert add_months(date(2024, 11, 10), 3) == date(2025, 2, 10)

    def test_zero_months_is_the_same_date(self):
        """Adding no months returns the start date."""
        assert add_months(date(2024, 1, 31), 0) == date(2024, 1, 31)

    def test_negative_months_move_back(self):
        """A negative count moves back across the year boundary."""
        assert add_months(date(2024, 1, 30), -2) == date(2023, 11, 30)

    def test_clamps_to_end_of_february_in_common_year(self):
        """31 January plus one month is 28 February in a common year."""
        assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)

    def test_clamps_to_end_of_february_in_leap_year(self):
        """31 January plus one month is 29 February in a leap year."""
        assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)

    def test_clamps_to_thirty_day_month(self):
        """31 March plus one month is 30 April."""
        assert add_months(date(2024, 3, 31), 1) == date(2024, 4, 30)

    def test_clamping_does_not_carry_over(self):
        """Two months from 31 January is 31 March, not a date derived from the clamped February."""
        assert add_months(date(2025, 1, 31), 2) == date(2025, 3, 31)


class TestAgeInDays:
    def test_day_of_birth_is_zero(self):
        """On the day of birth the age is 0 days."""
        assert age(date(2025, 2, 10), date(2025, 2, 10), AgeUnit.DAYS) == 0

    def test_counts_elapsed_days(self):
        """The age in days is the number of days elapsed since birth."""
        assert age(date(2025, 2, 10), date(2026, 2, 10), AgeUnit.DAYS) == 365

    def test_leap_year_day_counts(self):
        """Born 1 January 2024, the child is 365 days old on 31 December 2024."""
        assert age(date(2024, 1, 1), date(2024, 12, 31), AgeUnit.DAYS) == 365


class TestAgeInMonths:
    def test_day_before_monthly_birthday_is_not_completed(self):
        """A month is not completed on the day before the monthly birthday."""
        assert age(date(2025, 3, 15), date(2025, 4, 14), AgeUnit.MONTHS) == 0

    def test_monthly_birthday_completes_the_month(self):
        """A month is completed on the monthly birthday."""
        assert age(date(2025, 3, 15), date(2025, 4, 15), AgeUnit.MONTHS) == 1

    def test_end_of_month_birthday_in_a_short_month(self):
        """Born 31 January, a month is completed on 28 February of a common year."""
        assert age(date(2025, 1, 31), date(2025, 2, 28), AgeUnit.MONTHS) == 1

    def test_end_of_month_birthday_before_the_clamped_day(self):
        """Born 31 January, a month is not yet completed on 27 February."""
        assert age(date(2025, 1, 31), date(2025, 2, 27), AgeUnit.MONTHS) == 0

    def test_months_accumulate_across_years(self):
        """Months are counted across year boundaries."""
        assert age(date(2024, 11, 10), date(2025, 12, 10), AgeUnit.MONTHS) == 13


class TestAgeInYears:
    def test_day_before_first_birthday(self):
        """Born 10 February 2025, the child is 0 years old on 9 February 2026."""
        assert age(date(2025, 2, 10), date(2026, 2, 9), AgeUnit.YEARS) == 0

    def test_first_birthday(self):
        """Born 10 February 2025, the child is 1 year old on 10 February 2026."""
        assert age(date(2025, 2, 10), date(2026, 2, 10), AgeUnit.YEARS) == 1

    def test_first_birthday_in_months(self):
        """On the first birthday the age is 12 completed months."""
        assert age(date(2025, 2, 10), date(2026, 2, 10), AgeUnit.MONTHS) == 12

    def test_leap_year_last_day_is_not_a_year(self):
        """Born 1 January 2024, the child is still 0 years old on 31 December 2024."""
        assert age(date(2024, 1, 1), date(2024, 12, 31), AgeUnit.YEARS) == 0

    def test_leap_year_first_birthday(self):
        """Born 1 January 2024, the child is 1 year (366 days) old on 1 January 2025."""
        born, on = date(2024, 1, 1), date(2025, 1, 1)

        assert (age(born, on, AgeUnit.YEARS), age(born, on, AgeUnit.DAYS)) == (1, 366)

    def test_completed_years_only(self):
        """Years are completed: the day before the 18th birthday is 17."""
        assert age(date(2008, 6, 1), date(2026, 5, 31), AgeUnit.YEARS) == 17


class TestLeapDayBirthday:
    def test_birthday_is_28_february_in_common_year(self):
        """Born 29 February, the child turns 1 on 28 February of the next (common) year."""
        assert age(date(2024, 2, 29), date(2025, 2, 28), AgeUnit.YEARS) == 1

    def test_not_yet_a_year_on_27_february(self):
        """Born 29 February, the child is still 0 years old on 27 February of a common year."""
        assert age(date(2024, 2, 29), date(2025, 2, 27), AgeUnit.YEARS) == 0

    def test_birthday_is_29_february_in_leap_year(self):
        """Born 29 February, the 4th birthday falls on 29 February, not the day before."""
        born = date(2024, 2, 29)

        assert (
            age(born, date(2028, 2, 28), AgeUnit.YEARS),
            age(born, date(2028, 2, 29), AgeUnit.YEARS),
        ) == (3, 4)


class TestAgeBeforeBirth:
    @pytest.mark.parametrize("unit", list(AgeUnit))
    def test_date_before_birth_raises(self, unit):
        """A date before the date of birth raises ValueError naming both dates."""
        with pytest.raises(ValueError, match="2025-02-09 is before the date of birth 2025-02-10"):
            age(date(2025, 2, 10), date(2025, 2, 9), unit)


_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))


@st.composite
def _birth_and_later_date(draw: st.DrawFn) -> tuple[date, date]:
    born = draw(_dates)
    later = born + timedelta(days=draw(st.integers(min_value=0, max_value=30 * 366)))
    return born, later


class TestAgeProperties:
    @given(_birth_and_later_date())
    def test_completed_months_bracket_the_date(self, pair):
        """The date lies on or after the last monthly birthday and before the next one."""
        born, on = pair
        months = age(born, on, AgeUnit.MONTHS)

        assert add_months(born, months) <= on < add_months(born, months + 1)

    @given(_birth_and_later_date())
    def test_years_are_completed_months_divided_by_twelve(self, pair):
        """The age in years is the age in completed months floor-divided by 12."""
        born, on = pair

        assert age(born, on, AgeUnit.YEARS) == age(born, on, AgeUnit.MONTHS) // 12

    @given(_birth_and_later_date())
    def test_days_are_elapsed_days(self, pair):
        """The age in days is the calendar difference in days."""
        born, on = pair

        assert (on - born).days == age(born, on, AgeUnit.DAYS)
