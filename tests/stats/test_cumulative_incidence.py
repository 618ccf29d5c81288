"""Cumulative incidence against R's ``cmprsk::cuminc`` and ``timepoints`` (fixtures from R/cmprsk.R)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from remission.errors import InputError
from remission.stats.cumulative_incidence import CumulativeIncidenceResult, cumulative_incidence
from remission.stats.gray_test import gray_test
from stats.r_reference import assert_close, dataset, fixture


def _mgus2(group: bool) -> CumulativeIncidenceResult:
    data = dataset("mgus2")
    return cumulative_incidence(data.time, data.cause, group=data.sex if group else None)


def _edge(group: bool) -> CumulativeIncidenceResult:
    data = dataset("edge")
    return cumulative_incidence(data.time, data.cause, group=data.group if group else None)


def _from_fixture(name: str) -> CumulativeIncidenceResult:
    data = fixture(name)
    return cumulative_incidence(data["time"], data["cause"], group=data["group"])


# name -> (R output, our result)
CASES: dict[str, tuple[Callable[[], Any], Callable[[], CumulativeIncidenceResult]]] = {
    "mgus2_overall": (lambda: fixture("cmprsk_cuminc_mgus2_overall"), lambda: _mgus2(False)),
    "mgus2_sex": (lambda: fixture("cmprsk_cuminc_mgus2_sex"), lambda: _mgus2(True)),
    "edge_group": (lambda: fixture("cmprsk_cuminc_edge_group"), lambda: _edge(True)),
    "edge_overall": (lambda: fixture("cmprsk_cuminc_edge_overall"), lambda: _edge(False)),
    "sim_three_groups_three_causes": (
        lambda: fixture("cmprsk_sim")["cuminc"],
        lambda: _from_fixture("cmprsk_sim"),
    ),
    "zero_times": (
        lambda: fixture("cmprsk_zero_times")["cuminc"],
        lambda: _from_fixture("cmprsk_zero_times"),
    ),
}


def _r_name(result: CumulativeIncidenceResult, group: str, cause: int) -> str:
    """cuminc's curve name; without groups R labels the single group "1"."""
    return f"{'1' if result.groups == ('all',) else group} {cause}"


@pytest.fixture(params=sorted(CASES), name="case")
def _case(request: pytest.FixtureRequest) -> tuple[Any, CumulativeIncidenceResult]:
    expected, actual = CASES[request.param]
    return expected(), actual()


class TestAgainstCmprsk:
    def test_curve_order_matches_cuminc(self, case: tuple[Any, CumulativeIncidenceResult]) -> None:
        """Curves come in cuminc's order (by cause, then group) with the same group × cause pairs."""
        expected, result = case
        names = [_r_name(result, curve.group, curve.cause) for curve in result.curves]
        assert names == [curve["name"] for curve in expected["curves"]]

    def test_whole_curves_match_cuminc(self, case: tuple[Any, CumulativeIncidenceResult]) -> None:
        """Every point of time, estimate and cmprsk's own variance agrees with cuminc to 1e-6."""
        expected, result = case
        for curve, want in zip(result.curves, expected["curves"], strict=True):
            assert_close(curve.time, want["time"], where=f"{want['name']}.time")
            assert_close(curve.estimate, want["est"], where=f"{want['name']}.est")
            assert_close(curve.variance, want["var"], where=f"{want['name']}.var")

    def test_at_matches_timepoints(self, case: tuple[Any, CumulativeIncidenceResult]) -> None:
        """``at`` gives timepoints()'s estimates and variances, NA after the group's last time."""
        expected, result = case
        times = expected["timepoints"]["times"]
        for curve, want in zip(result.curves, expected["timepoints"]["curves"], strict=True):
            points = curve.at(times)
            assert [point["time"] for point in points] == [float(t) for t in times]
            assert_close([p["estimate"] for p in points], want["est"], where=f"{want['name']}.est")
            assert_close([p["variance"] for p in points], want["var"], where=f"{want['name']}.var")

    def test_attached_gray_test_matches_cuminc_tests(
        self, case: tuple[Any, CumulativeIncidenceResult]
    ) -> None:
        """With groups, the result carries cuminc's $Tests (statistic, p-value, df per cause)."""
        expected, result = case
        if "tests" not in expected:
            assert result.gray_test is None
            return
        assert result.gray_test is not None
        rows = result.gray_test.rows
        assert [row.cause for row in rows] == [test["cause"] for test in expected["tests"]]
        assert_close([row.statistic for row in rows], [test["stat"] for test in expected["tests"]])
        assert_close([row.p_value for row in rows], [test["pv"] for test in expected["tests"]])
        assert [row.df for row in rows] == [test["df"] for test in expected["tests"]]


class TestCurves:
    def test_group_without_events_is_flat_zero_to_its_last_time(self) -> None:
        """Edge group C (four censorings, last at 4) gives the two-point zero curve cuminc gives."""
        curve = _edge(True).curve("C", 1)
        want = next(c for c in fixture("cmprsk_cuminc_edge_group")["curves"] if c["name"] == "C 1")
        assert_close(curve.time, want["time"])
        assert list(curve.estimate) == [0.0, 0.0]

    def test_standard_error_is_square_root_of_variance(self) -> None:
        """``standard_error`` is the point-wise square root of cuminc's variance."""
        curve = _mgus2(True).curve("M", 1)
        want = next(c for c in fixture("cmprsk_cuminc_mgus2_sex")["curves"] if c["name"] == "M 1")
        assert_close(curve.standard_error, list(np.sqrt(want["var"])))

    def test_at_keeps_the_callers_order_and_repeats(self) -> None:
        """Times are answered in the order asked, duplicates included (each looked up on its own)."""
        curve = _edge(True).curve("A", 1)
        points = curve.at([10.0, 2.0, 2.0, 0.0])
        assert [p["time"] for p in points] == [10.0, 2.0, 2.0, 0.0]
        assert points[1] == points[2]
        assert points[0]["estimate"] == curve.estimate[-1]

    def test_at_before_zero_is_missing(self) -> None:
        """A negative time is outside every curve: NA, as timepoints() gives."""
        assert _edge(True).curve("B", 2).at([-1.0])[0]["estimate"] is None

    def test_curve_arrays_are_read_only(self) -> None:
        """Results are immutable: the arrays refuse writes."""
        curve = _edge(False).curves[0]
        with pytest.raises(ValueError, match="read-only"):
            curve.estimate[0] = 1.0

    def test_unknown_curve_raises_key_error(self) -> None:
        """Asking for a group × cause that was not estimated is a KeyError, not a silent empty curve."""
        with pytest.raises(KeyError):
            _edge(True).curve("C", 3)

    def test_counts_per_group_and_cause(self) -> None:
        """``subjects`` and ``events`` count the input per group (edge: A has 9 of cause 1)."""
        data = dataset("edge")
        result = _edge(True)
        for g, label in enumerate(result.groups):
            member = data[data.group == label]
            assert result.subjects[g] == len(member)
            assert result.events[g] == tuple(int((member.cause == c).sum()) for c in result.causes)


class TestOutput:
    def test_to_dict_has_the_cli_shape(self) -> None:
        """to_dict(at) lists group, cause and time/estimate/variance points, then the Gray rows."""
        result = _edge(True)
        out = result.to_dict(at=[1.0, 13.0])
        assert set(out) == {"groups", "gray_test"}
        assert [(g["group"], g["cause"]) for g in out["groups"]] == [
            (c.group, c.cause) for c in result.curves
        ]
        assert set(out["groups"][0]["at"][0]) == {"time", "estimate", "variance"}
        assert out["groups"][0]["at"][1]["estimate"] is None  # 13 is after group A's last time
        assert (
            out["gray_test"]
            == gray_test(dataset("edge").time, dataset("edge").cause, dataset("edge").group).test_rows()
        )
        assert set(out["gray_test"][0]) == {"cause", "statistic", "df", "p_value"}

    def test_to_dict_without_groups_has_no_gray_test(self) -> None:
        """One group: nothing to compare, so no "gray_test" key."""
        assert "gray_test" not in _mgus2(False).to_dict(at=[12.0])

    def test_to_dict_default_gives_each_curve_at_its_own_times(self) -> None:
        """Without ``at`` each curve is listed at 0, its jump times and its last follow-up time."""
        result = _edge(True)
        for entry, curve in zip(result.to_dict()["groups"], result.curves, strict=True):
            assert [point["time"] for point in entry["at"]] == sorted(set(curve.time.tolist()))

    def test_json_is_valid_without_nan(self) -> None:
        """The JSON rendering parses back (NA became null, never NaN)."""
        parsed = json.loads(_edge(True).to_json())
        assert parsed["groups"][0]["group"] == "A"

    def test_summary_table_has_one_row_per_curve_and_the_gray_table(self) -> None:
        """tables() gives the per-curve summary and, with groups, Gray's test."""
        result = _mgus2(True)
        tables = result.tables()
        assert len(tables) == 2
        assert len(tables[0].rows) == len(result.curves)
        assert "Gray" in tables[1].title

    def test_table_at_times_shows_na_after_follow_up(self) -> None:
        """tables(at=...) lists each curve at each time, with NA where the curve has ended."""
        table = _edge(True).tables(at=[5.0, 13.0])[0]
        row = next(row for row in table.rows if row[:3] == ("A", 1, 13.0))
        assert row[3] is None
        assert len(table.rows) == 2 * len(_edge(True).curves)


class TestRefusals:
    @pytest.mark.parametrize(
        ("cause", "message"),
        [
            ([0, 1, -1], "positive cause"),
            ([0, 1, 1.5], "whole numbers"),
            ([0, 1, float("nan")], "missing"),
            ([0, 0, 0], "no events"),
            ([0, 1], "one value per subject"),
        ],
    )
    def test_bad_cause_codes_are_refused(self, cause: list[float], message: str) -> None:
        """Negative, fractional, missing, all-censored or mis-sized causes raise InputError naming cause."""
        with pytest.raises(InputError, match=message) as error:
            cumulative_incidence([1.0, 2.0, 3.0], cause)
        assert error.value.problems[0].field == "cause"

    def test_missing_group_label_is_refused(self) -> None:
        """A missing group label is refused, never dropped silently."""
        with pytest.raises(InputError, match="group"):
            cumulative_incidence([1.0, 2.0, 3.0], [1, 0, 2], group=["a", None, "b"])

    def test_negative_time_is_refused(self) -> None:
        """Negative follow-up is refused naming time."""
        with pytest.raises(InputError, match="time"):
            cumulative_incidence([1.0, -2.0, 3.0], [1, 0, 2])

    def test_non_finite_at_is_refused(self) -> None:
        """Asking for the curve at NaN is an input error naming ``at``."""
        with pytest.raises(InputError, match="at"):
            _edge(False).curves[0].at([1.0, float("nan")])
