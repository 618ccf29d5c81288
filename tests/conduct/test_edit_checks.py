"""NCT06516679's edit checks on a course row: which fire, which pass, and that an unknown never fires."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remission.conduct.calendar import PhaseDates
from remission.conduct.edit_checks import CourseFacts, check_row, forms_read, time_point_windows
from remission.protocols import load_protocol, with_parameters
from remission.protocols.consistency import protocol_problems
from remission.protocols.edit_checks import CHECK_DERIVED_FIELDS, CHECK_REFERENCE_DATES
from remission.record.model import PatientRecord
from remission.rules.truth import Truth

NCT = load_protocol("NCT06516679")
DIAGNOSED = date(2026, 1, 5)
RECORD = PatientRecord.model_validate(
    {
        "patient": {"study_id": "T-1", "date_of_birth": "2025-06-01"},
        "diagnosis": {"date": DIAGNOSED.isoformat()},
    }
)
NO_DIAGNOSIS = PatientRecord.model_validate({"patient": {"study_id": "T-2"}})
ARM = next(arm for arm in NCT.arms if "hr_consolidation_1" in arm.phases)


def _outcomes(form: str, row: dict[str, Any], facts: CourseFacts, protocol=NCT) -> dict[str, Truth]:
    return {r.check.id: r.evaluation.truth for r in check_row(protocol, form=form, row=row, facts=facts)}


AE = {"term": "Febrile neutropenia", "grade": 3, "serious": True, "attribution": "possible"}


class TestAdverseEventOnset:
    def test_an_onset_before_the_diagnosis_fires_the_hard_check(self) -> None:
        results = check_row(
            NCT, form="adverse-events", row=AE | {"onset_date": date(2026, 1, 4)}, facts=CourseFacts(RECORD)
        )
        (result,) = results
        assert (result.fired, result.refuses) == (True, True)
        assert result.check.field == "onset_date"
        text = result.explanation.text
        assert text.startswith("Adverse-event onset not before diagnosis: not met — onset date: 2026-01-04")
        assert "before diagnosis (2026-01-05)" in text
        assert result.to_dict()["message"] == result.check.message

    def test_an_onset_on_the_day_of_diagnosis_passes(self) -> None:
        row = AE | {"onset_date": DIAGNOSED}
        assert _outcomes("adverse-events", row, CourseFacts(RECORD)) == {
            "ae-onset-not-before-diagnosis": Truth.MET
        }

    def test_no_diagnosis_date_leaves_it_unknown_and_never_fires(self) -> None:
        (result,) = check_row(
            NCT,
            form="adverse-events",
            row=AE | {"onset_date": date(2020, 1, 1)},
            facts=CourseFacts(NO_DIAGNOSIS),
        )
        assert result.evaluation.truth is Truth.UNKNOWN
        assert not result.fired
        assert not result.refuses
        assert "Needed: date of diagnosis" in result.explanation.text


class TestPhaseOrder:
    phases = tuple(ARM.phases)
    induction = PhaseDates(date(2026, 1, 7), date(2026, 2, 10))

    def _facts(self, **dates: PhaseDates) -> CourseFacts:
        return CourseFacts(RECORD, phases=self.phases, phase_dates=dates)

    def test_a_phase_starting_before_the_previous_one_ends_is_refused(self) -> None:
        row = {"phase_id": "hr_consolidation_1", "actual_start": date(2026, 2, 9), "actual_end": None}
        outcomes = _outcomes("treatment-phases", row, self._facts(induction=self.induction))
        assert outcomes["phase-after-previous-phase"] is Truth.NOT_MET
        # no end recorded yet: the end checks cannot say anything
        assert outcomes["phase-ends-after-start"] is Truth.UNKNOWN

    def test_back_to_back_phases_pass(self) -> None:
        row = {
            "phase_id": "hr_consolidation_1",
            "actual_start": date(2026, 2, 11),
            "actual_end": date(2026, 3, 1),
        }
        outcomes = _outcomes("treatment-phases", row, self._facts(induction=self.induction))
        assert outcomes["phase-after-previous-phase"] is Truth.MET
        assert outcomes["phase-ends-after-start"] is Truth.MET
        assert outcomes["phase-before-next-phase"] is Truth.UNKNOWN  # the next phase is not recorded

    def test_an_end_before_the_start_is_refused(self) -> None:
        row = {"phase_id": "induction", "actual_start": date(2026, 1, 7), "actual_end": date(2026, 1, 6)}
        assert _outcomes("treatment-phases", row, self._facts())["phase-ends-after-start"] is Truth.NOT_MET

    def test_an_end_after_the_next_phase_starts_is_refused(self) -> None:
        later = PhaseDates(date(2026, 2, 11), date(2026, 3, 1))
        row = {"phase_id": "induction", "actual_start": date(2026, 1, 7), "actual_end": date(2026, 2, 12)}
        outcomes = _outcomes("treatment-phases", row, self._facts(hr_consolidation_1=later))
        assert outcomes["phase-before-next-phase"] is Truth.NOT_MET

    def test_a_phase_not_on_the_arm_has_no_neighbours(self) -> None:
        row = {"phase_id": "lr_consolidation_1", "actual_start": date(2026, 1, 1), "actual_end": None}
        outcomes = _outcomes("treatment-phases", row, self._facts(induction=self.induction))
        assert outcomes["phase-after-previous-phase"] is Truth.UNKNOWN


class TestMRD:
    phases = tuple(ARM.phases)
    dates: ClassVar = {"induction": PhaseDates(date(2026, 1, 7), date(2026, 2, 10))}

    def _facts(self) -> CourseFacts:
        windows = time_point_windows(
            NCT, phases=self.phases, phase_dates=self.dates, diagnosed=DIAGNOSED, as_of=date(2026, 12, 1)
        )
        return CourseFacts(RECORD, phases=self.phases, phase_dates=self.dates, time_point_windows=windows)

    def _row(self, sample: date, sensitivity: float | None = 1e-5) -> dict[str, Any]:
        return {
            "time_point": "end of induction",
            "method": "flow cytometry",
            "sample_date": sample,
            "value_fraction": 0.001,
            "positive_not_quantifiable": False,
            "sensitivity_fraction": sensitivity,
        }

    def test_the_window_comes_from_the_schedule_parameters(self) -> None:
        before = NCT.parameters["mrd_window_before_days"].value
        after = NCT.parameters["mrd_window_after_days"].value
        start, end = self._facts().time_point_windows["end of induction"]
        assert (date(2026, 2, 10) - start).days == before
        assert (end - date(2026, 2, 10)).days == after

    @pytest.mark.parametrize(("day", "inside"), [(-8, False), (-7, True), (0, True), (14, True), (15, False)])
    def test_a_sample_outside_the_window_fires_the_soft_check(self, day: int, inside: bool) -> None:
        sample = date.fromordinal(date(2026, 2, 10).toordinal() + day)
        (window,) = [
            r
            for r in check_row(NCT, form="mrd", row=self._row(sample), facts=self._facts())
            if r.check.id == "mrd-sample-in-window"
        ]
        assert window.fired is not inside
        assert not window.refuses  # soft: saved, a query is opened

    def test_no_window_yet_is_unknown(self) -> None:
        facts = CourseFacts(RECORD, phases=self.phases)  # induction dates not recorded
        assert _outcomes("mrd", self._row(date(2020, 1, 1)), facts)["mrd-sample-in-window"] is Truth.UNKNOWN

    def test_a_result_without_sensitivity_fires(self) -> None:
        outcomes = _outcomes("mrd", self._row(date(2026, 2, 10), sensitivity=None), self._facts())
        assert outcomes["mrd-sensitivity-recorded"] is Truth.NOT_MET


class TestDeathAndFollowUp:
    def test_death_before_the_last_follow_up_is_refused(self) -> None:
        facts = CourseFacts(RECORD, follow_ups=[date(2026, 5, 1), date(2026, 8, 1)])
        row = {"date": date(2026, 7, 31), "cause": "infection"}
        assert _outcomes("deaths", row, facts) == {"death-not-before-last-follow-up": Truth.NOT_MET}
        assert _outcomes("deaths", row | {"date": date(2026, 8, 1)}, facts) == {
            "death-not-before-last-follow-up": Truth.MET
        }

    def test_a_follow_up_after_death_is_refused(self) -> None:
        facts = CourseFacts(RECORD, death=date(2026, 8, 1))
        row = {"date": date(2026, 8, 2), "status": "alive in remission"}
        assert _outcomes("follow-ups", row, facts) == {"follow-up-not-after-death": Truth.NOT_MET}

    def test_no_follow_up_recorded_never_fires(self) -> None:
        assert _outcomes("deaths", {"date": date(2026, 1, 1), "cause": "x"}, CourseFacts(RECORD)) == {
            "death-not-before-last-follow-up": Truth.UNKNOWN
        }


class TestCumulativeDose:
    level = NCT.parameters["cumulative_doxorubicin_query_mg_per_m2"].value

    def _fires(self, doses: list[tuple[date, str, float]], row: dict[str, Any], protocol=NCT) -> bool:
        (result,) = check_row(
            protocol, form="anthracycline-doses", row=row, facts=CourseFacts(RECORD, doses=doses)
        )
        return result.fired

    def test_only_the_dose_that_crosses_the_level_fires(self) -> None:
        below = [(date(2026, 1, d), "doxorubicin", 30.0) for d in range(1, 9)]  # 240 mg/m²
        crossing = {"date": date(2026, 1, 20), "drug": "doxorubicin", "dose_mg_per_m2": 30.0}
        assert self._fires(below, crossing)
        after = [*below, (date(2026, 1, 20), "doxorubicin", 30.0)]
        assert not self._fires(after, crossing | {"date": date(2026, 1, 25)})
        assert not self._fires(below[:-1], crossing)  # 240 in all: at the level, not above

    def test_daunorubicin_counts_in_doxorubicin_equivalents(self) -> None:
        protocol = with_parameters(NCT, {"cumulative_doxorubicin_query_mg_per_m2": 50})
        row = {"date": date(2026, 1, 2), "drug": "daunorubicin", "dose_mg_per_m2": 90.0}  # × 0.6 = 54
        assert self._fires([], row, protocol)
        assert not self._fires([], row | {"dose_mg_per_m2": 80.0}, protocol)  # 48

    def test_a_drug_without_a_factor_leaves_the_total_unknown(self) -> None:
        row = {"date": date(2026, 1, 2), "drug": "idarubicin", "dose_mg_per_m2": 900.0}
        (result,) = check_row(NCT, form="anthracycline-doses", row=row, facts=CourseFacts(RECORD))
        assert result.evaluation.truth is Truth.UNKNOWN
        assert not result.fired


DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1))


@given(
    st.sampled_from(["adverse-events", "treatment-phases", "mrd", "deaths", "follow-ups"]),
    st.lists(DAYS, max_size=3),
    st.one_of(st.none(), DAYS),
    st.dictionaries(st.sampled_from(ARM.phases), st.tuples(DAYS, st.one_of(st.none(), DAYS)), max_size=4),
    st.sampled_from([*ARM.phases, "other"]),
)
def test_an_unknown_date_never_fires_a_hard_check(
    form: str, follow_ups: list[date], death: date | None, phases: dict, phase: str
) -> None:
    """Whatever the rest of the course records, a row whose dates are not recorded fires no hard check."""
    dates = {name: PhaseDates(start, end) for name, (start, end) in phases.items()}
    facts = CourseFacts(RECORD, phases=ARM.phases, phase_dates=dates, follow_ups=follow_ups, death=death)
    row = {"phase_id": phase, "time_point": "end of induction"}
    for result in check_row(NCT, form=form, row=row, facts=facts):
        assert not result.refuses, result.explanation.text


class TestDeclaration:
    def test_every_reference_date_and_derived_value_names_the_forms_behind_it(self) -> None:
        assert forms_read(NCT.edit_checks, NCT.parameter_values()) == {
            "treatment-phases",
            "follow-ups",
            "deaths",
            "anthracycline-doses",
        }
        assert {"diagnosis", "study_entry", "death"} <= set(CHECK_REFERENCE_DATES)
        assert "cumulative_doxorubicin_equivalent_mg_per_m2" in CHECK_DERIVED_FIELDS

    def test_every_check_is_sourced_or_an_assumption(self) -> None:
        sources = {s.id for s in NCT.provenance.sources}
        for check in NCT.edit_checks:
            assert check.assumption or check.source in sources, check.id

    def test_a_check_naming_an_unknown_reference_or_path_is_refused_at_load(self) -> None:
        bad = NCT.model_copy(
            update={
                "edit_checks": [
                    NCT.edit_checks[0].model_copy(
                        update={
                            "must": NCT.edit_checks[2].must.model_copy(
                                update={
                                    "on_or_after": NCT.edit_checks[2].must.on_or_after.model_copy(
                                        update={"reference": "surgery", "field": "onset_date"}
                                    )
                                }
                            )
                        }
                    )
                ]
            }
        )
        problems = [str(p) for p in protocol_problems(bad)]
        assert any("unknown reference date 'surgery'" in p for p in problems), problems
        assert any("'onset_date' is neither row.<column>" in p for p in problems), problems
