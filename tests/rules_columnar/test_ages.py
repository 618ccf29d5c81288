"""Vectorised ages agree with the record's age function, birthdays and 29 February included."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from remission.record import AgeUnit, add_months, age
from remission.rules.columnar.ages import ages

EPOCH = date(1970, 1, 1)


def _days(day: date) -> int:
    return (day - EPOCH).days


@st.composite
def pairs(draw: st.DrawFn) -> tuple[date, date]:
    """A birth date and a later date, often on or next to a month anniversary."""
    born = draw(
        st.one_of(
            st.sampled_from([date(2024, 2, 29), date(2023, 1, 31), date(2020, 8, 31)]),
            st.dates(date(1990, 1, 1), date(2030, 1, 1)),
        )
    )
    anniversary = add_months(born, draw(st.integers(0, 240))) + timedelta(days=draw(st.integers(-2, 2)))
    on = draw(st.one_of(st.just(anniversary), st.dates(born, date(2040, 1, 1))))
    return born, max(on, born)


class TestAges:
    @settings(max_examples=300, deadline=None)
    @given(st.lists(pairs(), min_size=1, max_size=50), st.sampled_from(list(AgeUnit)))
    def test_matches_the_record_age_function(self, dates: list[tuple[date, date]], unit: AgeUnit):
        """Each vectorised age equals remission.record.age for the same pair."""
        born = np.array([_days(b) for b, _ in dates], dtype=np.int64)
        on = np.array([_days(o) for _, o in dates], dtype=np.int64)

        assert ages(born, on, unit).tolist() == [age(b, o, unit) for b, o in dates]

    def test_leap_day_birthday_falls_on_28_february(self):
        """A child born on 29 February 2024 turns 1 on 28 February 2025, not before."""
        born = np.array([_days(date(2024, 2, 29))] * 2, dtype=np.int64)
        on = np.array([_days(date(2025, 2, 27)), _days(date(2025, 2, 28))], dtype=np.int64)

        assert ages(born, on, AgeUnit.YEARS).tolist() == [0, 1]
