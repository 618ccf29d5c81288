"""The kept standing of a calendar item gives the same state on any date as computing the calendar
on that date — the worklist reads states from the standing instead of recomputing calendars."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from remission.conduct import Collected, ItemState, PhaseDates, child_calendar
from remission.conduct.standing import SCHEDULED, standing, state_on
from remission.protocols import load_protocol
from remission.record.vocabulary import MissingCode

NCT = load_protocol("NCT06516679")
ARMS = {arm.id: list(arm.phases) for arm in NCT.arms}
DIAGNOSED = date(2026, 1, 5)
FORMS = ("mrd", "anthracycline-doses", "transplants", "follow-ups")
POINTS = ("end of induction", "after consolidation 1")


@given(
    arm=st.sampled_from(sorted(ARMS)),
    lengths=st.lists(st.integers(min_value=1, max_value=120), max_size=6),
    ongoing=st.booleans(),
    rows=st.lists(
        st.tuples(st.sampled_from(FORMS), st.integers(0, 1500), st.sampled_from(POINTS)), max_size=8
    ),
    coded=st.lists(st.integers(0, 30), max_size=3),
    as_of_days=st.integers(min_value=0, max_value=2000),
)
def test_the_state_from_the_standing_is_the_state_computed_on_the_date(
    arm: str, lengths: list[int], ongoing: bool, rows: list, coded: list[int], as_of_days: int
) -> None:
    as_of = DIAGNOSED + timedelta(days=as_of_days)
    dates, start = {}, DIAGNOSED
    for phase, days in zip(ARMS[arm], lengths, strict=False):
        dates[phase] = PhaseDates(start, start + timedelta(days=days - 1))
        start += timedelta(days=days)
    if ongoing and dates:
        last = list(dates)[-1]
        dates[last] = PhaseDates(dates[last].start, None)
    # rows are never dated after the day they are read on (the store refuses future dates)
    collected = [
        Collected(form, DIAGNOSED + timedelta(days=day), point if form == "mrd" else None)
        for form, day, point in rows
        if DIAGNOSED + timedelta(days=day) <= as_of
    ]

    def calendar(on: date, codes: dict) -> list:
        return child_calendar(
            NCT,
            phases=ARMS[arm],
            phase_dates=dates,
            collected=collected,
            as_of=on,
            diagnosed=DIAGNOSED,
            missing_codes=codes,
        )

    plain = calendar(as_of, {})
    codes = {
        (plain[i].assessment, plain[i].occurrence): MissingCode.NOT_DONE for i in coded if i < len(plain)
    }
    kept, live = calendar(date.max, codes), calendar(as_of, codes)
    assert len(kept) == len(live)
    for k, item in zip(kept, live, strict=True):
        assert (k.assessment, k.occurrence) == (item.assessment, item.occurrence)
        assert state_on(standing(k), k.due_from, k.due_until, k.done_on, as_of) is item.state, (k, item)


def test_a_fixed_state_ignores_the_date() -> None:
    assert (
        state_on("not applicable on this arm", None, None, None, date(2030, 1, 1)) is ItemState.NOT_APPLICABLE
    )
    window = (date(2026, 1, 1), date(2026, 1, 10))
    assert state_on(SCHEDULED, *window, None, date(2025, 12, 31)) is ItemState.UPCOMING
    assert state_on(SCHEDULED, *window, None, date(2026, 1, 10)) is ItemState.DUE
    assert state_on(SCHEDULED, *window, None, date(2026, 1, 11)) is ItemState.OVERDUE
    assert state_on(SCHEDULED, *window, date(2026, 1, 12), date(2026, 1, 11)) is ItemState.OVERDUE
    assert state_on(SCHEDULED, *window, date(2026, 1, 12), date(2026, 1, 12)) is ItemState.DONE
