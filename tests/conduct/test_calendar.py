"""A child's calendar under NCT06516679: what is owed on the arm, when, and in which state."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from remission.conduct import CalendarItem, Collected, ItemState, PhaseDates, child_calendar
from remission.protocols import load_protocol, with_parameters
from remission.record.vocabulary import MissingCode

NCT = load_protocol("NCT06516679")
ARMS = {arm.id: arm.phases for arm in NCT.arms}
DIAGNOSED = date(2026, 1, 5)


def _course(arm: str, lengths: list[int]) -> dict[str, PhaseDates]:
    """Back-to-back phases of ``arm`` from the diagnosis, with the given lengths in days."""
    dates, start = {}, DIAGNOSED
    for phase, days in zip(ARMS[arm], lengths, strict=False):
        dates[phase] = PhaseDates(start, start + timedelta(days=days - 1))
        start += timedelta(days=days)
    return dates


def _calendar(arm: str, dates: dict[str, PhaseDates], collected=(), as_of=date(2026, 12, 1), protocol=NCT):
    return child_calendar(
        protocol,
        phases=ARMS[arm],
        phase_dates=dates,
        collected=list(collected),
        as_of=as_of,
        diagnosed=DIAGNOSED,
    )


def _one(items: list[CalendarItem], assessment: str, occurrence: str = "") -> CalendarItem:
    (found,) = [i for i in items if i.assessment == assessment and i.occurrence == occurrence]
    return found


def test_an_ir_child_never_owes_the_hr_transplant_record() -> None:
    ir = _calendar("IR-arm", _course("IR-arm", [35, 21]))
    hr = _calendar("HR-arm", _course("HR-arm", [35, 21]))
    assert _one(ir, "hsct-record").state is ItemState.NOT_APPLICABLE
    assert _one(hr, "hsct-record").state is ItemState.NOT_SCHEDULED  # the HSCT phase has no dates yet


def test_mrd_after_consolidation_1_uses_the_window_parameters() -> None:
    dates = _course("LR-arm", [35, 21])
    end = dates["lr_consolidation_1"].end
    assert end is not None
    item = _one(_calendar("LR-arm", dates, as_of=end), "mrd-after-consolidation-1")
    assert (item.state, item.due_from, item.due_until) == (
        ItemState.DUE,
        end - timedelta(days=7),
        end + timedelta(days=14),
    )
    wider = with_parameters(NCT, {"mrd_window_after_days": 30})
    late = end + timedelta(days=20)
    assert (
        _one(_calendar("LR-arm", dates, as_of=late), "mrd-after-consolidation-1").state is ItemState.OVERDUE
    )
    assert _one(
        _calendar("LR-arm", dates, as_of=late, protocol=wider), "mrd-after-consolidation-1"
    ).state is (ItemState.DUE)


def test_an_mrd_result_of_the_time_point_is_done() -> None:
    dates = _course("LR-arm", [35, 21])
    sample = Collected("mrd", date(2026, 3, 2), "after consolidation 1")
    other = Collected("mrd", date(2026, 2, 9), "end of induction")
    items = _calendar("LR-arm", dates, [sample, other])
    assert _one(items, "mrd-after-consolidation-1").done_on == sample.on
    assert _one(items, "mrd-end-of-induction").done_on == other.on


def test_doses_are_owed_only_for_phases_with_an_anthracycline() -> None:
    dates = _course("HR-arm", [35, 21, 21, 21, 56])
    owed = [i.occurrence for i in _calendar("HR-arm", dates) if i.assessment == "anthracycline-doses"]
    assert owed == ["induction", "consolidation_4_with_daunorubicin"]
    lr_owed = [
        i.occurrence
        for i in _calendar("LR-arm", _course("LR-arm", [35]))
        if i.assessment == "anthracycline-doses"
    ]
    assert lr_owed == ["induction"]  # the LR block 4 is given without daunorubicin


def test_a_dose_within_the_phase_satisfies_it() -> None:
    dates = _course("HR-arm", [35])
    dose = Collected("anthracycline-doses", date(2026, 1, 20))
    assert (
        _one(_calendar("HR-arm", dates, [dose]), "anthracycline-doses", "induction").state is ItemState.DONE
    )


def test_follow_up_visits_start_at_the_end_of_therapy() -> None:
    lengths = [35, 21, 21, 21, 56, 730]
    dates = _course("LR-arm", lengths)
    visits = [
        i for i in _calendar("LR-arm", dates, as_of=date(2031, 1, 1)) if i.assessment == "follow-up-visits"
    ]
    assert len(visits) == 8
    end = dates["maintenance"].end
    assert end is not None
    assert visits[0].due_from == end + timedelta(days=91 - 14)
    assert all(v.state is ItemState.OVERDUE for v in visits)


@settings(max_examples=60, deadline=None)
@given(
    arm=st.sampled_from(sorted(ARMS)),
    lengths=st.lists(st.integers(min_value=1, max_value=120), min_size=0, max_size=6),
    as_of_days=st.integers(min_value=0, max_value=2000),
)
def test_property_no_other_arm_and_overdue_windows_have_passed(
    arm: str, lengths: list[int], as_of_days: int
) -> None:
    as_of = DIAGNOSED + timedelta(days=as_of_days)
    items = _calendar(arm, _course(arm, lengths), as_of=as_of)
    for item in items:
        if item.occurrence and not item.occurrence.startswith("visit"):
            assert item.occurrence in ARMS[arm]
        if item.state is ItemState.OVERDUE:
            assert item.due_until is not None
            assert item.due_until < as_of
        if item.state in (ItemState.UPCOMING, ItemState.DUE):
            assert item.due_until is not None
            assert item.due_until >= as_of


def test_on_a_provisional_track_a_later_arm_phase_is_not_scheduled_yet() -> None:
    """Before the final group, the HSCT record may still be owed (HR): not scheduled, not 'not applicable'."""
    track = ["induction", "hr_consolidation_1"]
    items = child_calendar(
        NCT,
        phases=track,
        phase_dates=_course("HR-arm", [35]),
        collected=[],
        as_of=date(2026, 3, 1),
        diagnosed=DIAGNOSED,
        possible_phases=ARMS["IR-arm"] + ARMS["HR-arm"],
    )
    assert _one(items, "hsct-record").state is ItemState.NOT_SCHEDULED


def test_the_end_of_therapy_is_not_the_end_of_a_provisional_track() -> None:
    """Follow-up visits wait for the final arm: a track's last phase does not end the therapy."""
    track = ["induction", "hr_consolidation_1"]
    items = child_calendar(
        NCT,
        phases=track,
        phase_dates=_course("HR-arm", [35, 21]),
        collected=[],
        as_of=date(2027, 6, 1),
        diagnosed=DIAGNOSED,
        possible_phases=ARMS["IR-arm"] + ARMS["HR-arm"],
    )
    visits = [i for i in items if i.assessment == "follow-up-visits"]
    assert [(v.state, v.due_from) for v in visits] == [(ItemState.NOT_SCHEDULED, None)]


def test_a_coded_occurrence_is_not_done_with_its_code_and_a_done_one_stays_done() -> None:
    """An owed item with a missing-data code is *not done* carrying the code; a collected row wins;
    an item the arm does not owe stays *not applicable*."""
    dates = _course("LR-arm", [35, 21])
    end = dates["lr_consolidation_1"].end
    assert end is not None
    sample = Collected("mrd", date(2026, 2, 9), "end of induction")
    codes = {
        ("mrd-after-consolidation-1", ""): MissingCode.NOT_DONE,
        ("mrd-end-of-induction", ""): MissingCode.UNKNOWN,
        ("hsct-record", ""): MissingCode.NOT_APPLICABLE,
    }
    items = child_calendar(
        NCT,
        phases=ARMS["LR-arm"],
        phase_dates=dates,
        collected=[sample],
        as_of=end + timedelta(days=30),
        diagnosed=DIAGNOSED,
        missing_codes=codes,
    )
    coded = _one(items, "mrd-after-consolidation-1")
    assert (coded.state, coded.missing_code) == (ItemState.NOT_DONE, MissingCode.NOT_DONE)
    assert (coded.to_dict()["state"], coded.to_dict()["missing_code"]) == ("not done", "not done")
    done = _one(items, "mrd-end-of-induction")
    assert (done.state, done.missing_code) == (ItemState.DONE, None)
    assert _one(items, "hsct-record").state is ItemState.NOT_APPLICABLE
    uncoded = _calendar("LR-arm", dates, [sample], as_of=end + timedelta(days=30))
    assert _one(uncoded, "mrd-after-consolidation-1").state is ItemState.OVERDUE


def test_an_end_of_phase_report_counts_for_the_phase_it_names() -> None:
    """A report dated after its phase ends satisfies the report of the phase it names, and no other."""
    dates = _course("HR-arm", [35, 28])
    induction_end = dates["induction"].end
    assert induction_end is not None
    report = Collected("phase-reports", induction_end + timedelta(days=3), phase="induction")
    items = _calendar("HR-arm", dates, collected=[report], as_of=date(2026, 12, 1))
    assert _one(items, "end-of-phase-report", "induction").state is ItemState.DONE
    assert _one(items, "end-of-phase-report", "hr_consolidation_1").state is ItemState.OVERDUE


def test_the_cardiac_assessment_waits_for_the_end_of_therapy() -> None:
    """Counted from the end of the arm's last phase: not scheduled while therapy goes on."""
    items = _calendar("HR-arm", _course("HR-arm", [35, 28]), as_of=date(2026, 12, 1))
    assert _one(items, "cardiac-assessment-end-of-therapy").state is ItemState.NOT_SCHEDULED
