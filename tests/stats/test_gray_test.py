"""Gray's test against ``cmprsk::cuminc(..., strata, rho)$Tests`` (fixtures from R/cmprsk.R)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from remission.errors import InputError
from remission.stats.gray_test import GrayTestResult, gray_test
from stats.r_reference import assert_close, dataset, fixture

# The package exports the function under the module's name, so fetch the module itself.
gray_test_module = importlib.import_module("remission.stats.gray_test")


def _mgus2_age_group() -> np.ndarray:
    return np.where(dataset("mgus2").age >= 70, "70+", "<70")


def _mgus2(rho: float, strata: bool) -> GrayTestResult:
    data = dataset("mgus2")
    return gray_test(data.time, data.cause, data.sex, strata=_mgus2_age_group() if strata else None, rho=rho)


def _sim_stratified() -> GrayTestResult:
    sim = fixture("cmprsk_sim")
    return gray_test(sim["time"], sim["cause"], sim["group"], strata=sim["site"], rho=0.25)


def _edge(rho: float) -> GrayTestResult:
    data = dataset("edge")
    return gray_test(data.time, data.cause, data.group, rho=rho)


# name -> (cuminc $Tests rows from R, our test)
CASES: dict[str, tuple[Callable[[], list[dict[str, Any]]], Callable[[], GrayTestResult]]] = {
    "mgus2_sex": (lambda: fixture("cmprsk_cuminc_mgus2_sex")["tests"], lambda: _mgus2(0.0, False)),
    "mgus2_sex_rho1": (lambda: fixture("cmprsk_gray_tests")["mgus2_sex_rho1"], lambda: _mgus2(1.0, False)),
    "mgus2_sex_strata_age": (
        lambda: fixture("cmprsk_gray_tests")["mgus2_sex_strata_age"],
        lambda: _mgus2(0.0, True),
    ),
    "mgus2_sex_strata_age_rho1": (
        lambda: fixture("cmprsk_gray_tests")["mgus2_sex_strata_age_rho1"],
        lambda: _mgus2(1.0, True),
    ),
    "mgus2_agegroup_strata_sex_rho_half": (
        lambda: fixture("cmprsk_gray_tests")["mgus2_agegroup_strata_sex_rho_half"],
        lambda: gray_test(
            dataset("mgus2").time,
            dataset("mgus2").cause,
            _mgus2_age_group(),
            strata=dataset("mgus2").sex,
            rho=0.5,
        ),
    ),
    "edge_three_groups": (lambda: fixture("cmprsk_cuminc_edge_group")["tests"], lambda: _edge(0.0)),
    "edge_three_groups_rho1": (lambda: fixture("cmprsk_gray_tests")["edge_group_rho1"], lambda: _edge(1.0)),
    "sim_three_causes_strata_rho_quarter": (
        lambda: fixture("cmprsk_sim")["tests_strata_site_rho_quarter"],
        _sim_stratified,
    ),
}


class TestAgainstCmprsk:
    @pytest.mark.parametrize("name", sorted(CASES))
    def test_statistics_match_cuminc_tests(self, name: str) -> None:
        """Statistic, p-value and df per cause agree with cuminc's $Tests to 1e-6."""
        expected, actual = CASES[name]
        want, result = expected(), actual()
        assert [row.cause for row in result.rows] == [test["cause"] for test in want]
        assert_close([row.statistic for row in result.rows], [test["stat"] for test in want], where=name)
        assert_close([row.p_value for row in result.rows], [test["pv"] for test in want], where=name)
        assert [row.df for row in result.rows] == [test["df"] for test in want]

    def test_singular_variance_gives_no_statistic(self) -> None:
        """A group gone before the first event makes V singular: R gives its -1 sentinel, we give NA."""
        data = fixture("cmprsk_gray_singular")
        assert [test["stat"] for test in data["tests"]] == [-1, -1]
        result = gray_test(data["time"], data["cause"], data["group"])
        assert [row["statistic"] for row in result.test_rows()] == [None, None]
        assert [row["p_value"] for row in result.test_rows()] == [None, None]
        assert [row.df for row in result.rows] == [test["df"] for test in data["tests"]]


class TestBehaviour:
    def test_one_stratum_label_equals_no_strata(self) -> None:
        """Strata with a single level change nothing."""
        data = dataset("edge")
        plain = gray_test(data.time, data.cause, data.group)
        layered = gray_test(data.time, data.cause, data.group, strata=["x"] * len(data))
        assert_close([r.statistic for r in layered.rows], [r.statistic for r in plain.rows], rtol=1e-12)

    def test_row_order_does_not_matter(self) -> None:
        """Shuffling the subjects leaves every statistic unchanged."""
        data = dataset("mgus2")
        shuffled = data.sample(frac=1.0, random_state=3)
        a = gray_test(data.time, data.cause, data.sex, strata=_mgus2_age_group())
        b = gray_test(
            shuffled.time, shuffled.cause, shuffled.sex, strata=np.where(shuffled.age >= 70, "70+", "<70")
        )
        assert_close([r.statistic for r in b.rows], [r.statistic for r in a.rows], rtol=1e-10)

    def test_to_dict_lists_one_row_per_cause(self) -> None:
        """to_dict names the groups, rho, strata and one {cause, statistic, df, p_value} per cause."""
        out = _mgus2(1.0, True).to_dict()
        assert out["groups"] == ["F", "M"]
        assert out["rho"] == 1.0
        assert out["strata"] == 2
        assert [set(row) for row in out["tests"]] == [{"cause", "statistic", "df", "p_value"}] * 2

    def test_table_shows_na_for_a_singular_variance(self) -> None:
        """The text rendering prints NA where no statistic exists."""
        data = fixture("cmprsk_gray_singular")
        assert "NA" in gray_test(data["time"], data["cause"], data["group"]).to_text()


class TestRefusals:
    def test_a_single_group_is_refused(self) -> None:
        """There is nothing to compare with one group: InputError naming group."""
        with pytest.raises(InputError, match="two groups") as error:
            gray_test([1.0, 2.0, 3.0], [1, 0, 2], ["a", "a", "a"])
        assert error.value.problems[0].field == "group"

    def test_non_finite_rho_is_refused(self) -> None:
        """rho must be a finite number."""
        with pytest.raises(InputError, match="rho"):
            gray_test([1.0, 2.0, 3.0], [1, 0, 2], ["a", "b", "a"], rho=float("inf"))

    def test_missing_stratum_is_refused(self) -> None:
        """A missing stratum label is refused naming strata."""
        with pytest.raises(InputError, match="strata"):
            gray_test([1.0, 2.0, 3.0], [1, 0, 2], ["a", "b", "a"], strata=["s", None, "s"])

    def test_all_censored_is_refused(self) -> None:
        """Without any event there is no cause to test."""
        with pytest.raises(InputError, match="no events"):
            gray_test([1.0, 2.0, 3.0], [0, 0, 0], ["a", "b", "a"])
