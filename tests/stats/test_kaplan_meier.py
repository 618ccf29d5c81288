"""Kaplan–Meier curves against R's ``survfit`` (fixtures from ``reference/R/km.R``)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from remission.errors import InputError
from remission.stats.kaplan_meier import KaplanMeierResult, kaplan_meier
from stats.km_reference import assert_curve_matches, case_id, curve_cases, fit_case, paired
from stats.r_reference import assert_close, dataset, fixture

CASES = curve_cases()
IDS = [case_id(name, case) for name, case in CASES]
CONSTRUCTED = [(data, case) for data in fixture("km_curves_constructed") for case in data["cases"]]
CONSTRUCTED_IDS = [f"{data['name']}-{case['conf_type']}" for data, case in CONSTRUCTED]


def _at_rows(expected: dict[str, Any]) -> list[dict[str, Any]]:
    keys = ("time", "n_risk", "survival", "std_err", "lower", "upper")
    return [dict(zip(keys, values, strict=True)) for values in zip(*(expected[k] for k in keys), strict=True)]


class TestCurvesMatchR:
    @pytest.mark.parametrize(("name", "case"), CASES, ids=IDS)
    def test_every_curve_point_matches_survfit(self, name: str, case: dict[str, Any]) -> None:
        """Times, counts, survival, Greenwood standard errors and limits agree with survfit at every point."""
        for curve, expected in paired(fit_case(name, case), case):
            assert_curve_matches(curve, expected, f"{name}.{curve.group}")

    @pytest.mark.parametrize(("name", "case"), CASES, ids=IDS)
    def test_n_and_events_match_survfit(self, name: str, case: dict[str, Any]) -> None:
        """Per-group record and event counts are those of summary(fit)$table."""
        for curve, expected in paired(fit_case(name, case), case):
            assert (curve.n, curve.events) == (expected["n"], expected["events"])

    @pytest.mark.parametrize(("name", "case"), CASES, ids=IDS)
    def test_median_and_its_limits_match_print(self, name: str, case: dict[str, Any]) -> None:
        """The median and its confidence limits are those print(survfit) reports (None for NA)."""
        for curve, expected in paired(fit_case(name, case), case):
            actual = [curve.median, curve.median_lower, curve.median_upper]
            wanted = [expected["median"], expected["median_lower"], expected["median_upper"]]
            assert_close(actual, wanted, where=f"{name}.{curve.group}.median")

    @pytest.mark.parametrize(("name", "case"), CASES, ids=IDS)
    def test_at_times_match_summary_with_extend(self, name: str, case: dict[str, Any]) -> None:
        """curve.at() agrees with summary(fit, times =, extend = TRUE), before and after follow-up too."""
        for curve, expected in paired(fit_case(name, case), case):
            assert_close(curve.at(case["at_times"]), _at_rows(expected["at"]), where=f"{name}.{curve.group}")


def _constructed(data: dict[str, Any], conf_type: str) -> KaplanMeierResult:
    return kaplan_meier(data["time"], data["event"], entry=data["entry"], conf_type=conf_type)


class TestConstructedCurves:
    @pytest.mark.parametrize(("data", "case"), CONSTRUCTED, ids=CONSTRUCTED_IDS)
    def test_constructed_curve_matches_survfit(self, data: dict[str, Any], case: dict[str, Any]) -> None:
        """Constructed curves (median cases, event at 0, late entry emptying the risk set) match R."""
        (curve, expected), *_ = paired(_constructed(data, case["conf_type"]), case)
        assert_curve_matches(curve, expected, data["name"])
        assert_close(curve.at(case["at_times"]), _at_rows(expected["at"]), where=data["name"])

    @pytest.mark.parametrize(("data", "case"), CONSTRUCTED, ids=CONSTRUCTED_IDS)
    def test_constructed_median_matches_print(self, data: dict[str, Any], case: dict[str, Any]) -> None:
        """The median rule (midpoint of an interval at exactly 0.5, NA if not reached) is print(survfit)'s."""
        curve = _constructed(data, case["conf_type"]).curves[0]
        expected = case["curves"][0]
        assert_close(
            [curve.median, curve.median_lower, curve.median_upper],
            [expected["median"], expected["median_lower"], expected["median_upper"]],
            where=data["name"],
        )

    def test_flat_half_to_the_end_differs_from_quantile(self) -> None:
        """A curve at 0.5 to its end gives the time 0.5 is reached (print), not quantile()'s midpoint."""
        data = next(d for d in fixture("km_curves_constructed") if d["name"] == "flat_to_end")
        curve = kaplan_meier(data["time"], data["event"]).curves[0]
        assert curve.median == data["cases"][0]["curves"][0]["median"]
        assert curve.median != data["quantile_median"]


class TestResultShape:
    def test_to_dict_has_the_issue_shape(self) -> None:
        """to_dict(at=...) gives groups with n, events, median and at-rows, and the log-rank statistic."""
        frame = dataset("edge")
        output = kaplan_meier(frame["time"], frame["event"], group=frame["group"]).to_dict(at=[1, 5])
        assert set(output["groups"][0]) >= {"group", "n", "events", "median", "at"}
        assert set(output["groups"][0]["at"][0]) == {
            "time",
            "n_risk",
            "survival",
            "std_err",
            "lower",
            "upper",
        }
        assert set(output["logrank"]) == {"statistic", "df", "p_value"}

    def test_to_dict_logrank_matches_survdiff(self) -> None:
        """The log-rank entry of to_dict is survdiff's chi-square, df and p-value."""
        frame = dataset("edge")
        expected = next(c["test"] for c in fixture("km_logrank") if c["test"]["name"] == "edge_group")
        output = kaplan_meier(frame["time"], frame["event"], group=frame["group"]).to_dict()
        assert_close(output["logrank"], {k: expected[k] for k in ("statistic", "df", "p_value")})

    def test_one_group_has_no_logrank_key(self) -> None:
        """Without groups there is nothing to compare, so "logrank" is absent."""
        frame = dataset("aml")
        assert "logrank" not in kaplan_meier(frame["time"], frame["event"]).to_dict()

    def test_untestable_groups_give_null_logrank(self) -> None:
        """When the log-rank variance is singular the curves are still returned and "logrank" is null."""
        output = kaplan_meier([1, 1], [1, 1], group=["a", "b"]).to_dict()
        assert [g["median"] for g in output["groups"]] == [1.0, 1.0]
        assert output["logrank"] is None

    def test_empty_at_gives_no_rows(self) -> None:
        """Asking for no times gives an empty "at" list rather than an error."""
        output = kaplan_meier([1, 2], [1, 0]).to_dict(at=[])
        assert output["groups"][0]["at"] == []

    def test_late_entry_logrank_is_null(self) -> None:
        """With late entry the log-rank entry is null, as survdiff does not take counting-process data."""
        frame = dataset("heart")
        result = kaplan_meier(frame["stop"], frame["event"], group=frame["surgery"], entry=frame["start"])
        assert result.to_dict()["logrank"] is None

    def test_json_has_null_where_r_has_na(self) -> None:
        """A curve that reaches 0 serialises its undefined standard error and limits as null."""
        frame = dataset("edge")
        result = kaplan_meier(frame["time"], frame["event"], group=frame["group"])
        rows = json.loads(result.to_json())["groups"]
        at = json.loads(json.dumps(result.to_dict(at=[13])))["groups"][1]["at"][0]
        assert rows[0]["median_upper"] is None
        assert (at["survival"], at["std_err"], at["lower"], at["upper"]) == (0.0, None, None, None)

    def test_text_lists_each_group_and_na_medians(self) -> None:
        """The text rendering names every group and prints NA for a median that is not reached."""
        frame = dataset("edge")
        text = kaplan_meier(frame["time"], frame["event"], group=frame["group"]).to_text()
        lines = text.splitlines()
        row_c = next(line for line in lines if line.strip().startswith("C "))
        assert "NA" in row_c
        assert "Log-rank test" in text

    def test_html_includes_at_table_when_asked(self) -> None:
        """tables(at=...) adds the survival-at-times table to the rendering."""
        frame = dataset("aml")
        result = kaplan_meier(frame["time"], frame["event"])
        titles = [table.title for table in result.tables(at=[12, 24])]
        assert titles == ["Kaplan–Meier estimate", "Survival at selected times"]

    def test_curve_lookup_by_label(self) -> None:
        """curve(label) returns that group's curve and refuses an unknown label."""
        frame = dataset("aml")
        result = kaplan_meier(frame["time"], frame["event"], group=frame["x"])
        assert result.curve("Nonmaintained").group == "Nonmaintained"
        with pytest.raises(InputError, match="group"):
            result.curve("Other")


class TestLateEntry:
    def test_entry_at_zero_is_the_right_censored_curve(self) -> None:
        """Entry 0 for everyone (positive times) gives exactly the right-censored curve."""
        frame = dataset("lung")
        plain = kaplan_meier(frame["time"], frame["event"]).curves[0]
        entered = kaplan_meier(frame["time"], frame["event"], entry=np.zeros(len(frame))).curves[0]
        assert_close(entered.survival, plain.survival.tolist())
        assert_close(entered.n_risk, plain.n_risk.tolist())

    def test_subjects_join_the_risk_set_after_entry(self) -> None:
        """A subject entering at 5 is not at risk at 3 and is at risk at 6."""
        curve = kaplan_meier([3, 6, 8], [1, 1, 0], entry=[0, 0, 5]).curves[0]
        assert curve.n_risk.tolist() == [2, 2, 1]


class TestInputsAreRefused:
    def test_entry_not_before_time(self) -> None:
        """An entry time at or after the follow-up time is refused, naming entry."""
        with pytest.raises(InputError, match="entry"):
            kaplan_meier([5, 6], [1, 0], entry=[0, 6])

    def test_entry_of_wrong_length(self) -> None:
        """Entry times must be one per subject."""
        with pytest.raises(InputError, match="entry"):
            kaplan_meier([5, 6], [1, 0], entry=[0])

    def test_unknown_conf_type(self) -> None:
        """Only log, log-log and plain limits are offered."""
        with pytest.raises(InputError, match="conf_type"):
            kaplan_meier([5, 6], [1, 0], conf_type="logit")

    @pytest.mark.parametrize("level", [0.0, 1.0, 95, "high"])
    def test_conf_level_outside_zero_one(self, level: Any) -> None:
        """The confidence level must be a number strictly between 0 and 1."""
        with pytest.raises(InputError, match="conf_level"):
            kaplan_meier([5, 6], [1, 0], conf_level=level)

    def test_missing_group_label(self) -> None:
        """A missing group label is refused, not dropped."""
        with pytest.raises(InputError, match="group"):
            kaplan_meier([5, 6], [1, 0], group=["a", None])

    def test_event_code_outside_zero_one(self) -> None:
        """Event codes other than 0/1 are refused."""
        with pytest.raises(InputError, match="event"):
            kaplan_meier([5, 6], [1, 2])

    def test_negative_at_time(self) -> None:
        """A negative time asked of curve.at() is refused."""
        curve = kaplan_meier([5, 6], [1, 0]).curves[0]
        with pytest.raises(InputError, match="at"):
            curve.at([-1])
