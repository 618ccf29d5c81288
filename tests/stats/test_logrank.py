"""G-rho tests (log-rank, Peto–Peto, stratified) against R's ``survdiff`` (fixtures: ``reference/R/km.R``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from remission.errors import InputError
from remission.stats.logrank import LogrankResult, logrank_test
from stats.r_reference import assert_close, dataset, fixture

CASES = fixture("km_logrank")
IDS = [case["test"]["name"] for case in CASES]


def _run(case: dict[str, Any]) -> LogrankResult:
    test = case["test"]
    frame = dataset(case["data"])
    if case["rows"] == "ph_ecog known":
        frame = frame.dropna(subset=["ph_ecog"])
    strata = None if test["strata"] is None else frame[test["strata"]].to_numpy()
    return logrank_test(
        frame["time"].to_numpy(),
        frame["event"].to_numpy(),
        frame[test["group"]].to_numpy(),
        strata=strata,
        rho=test["rho"],
    )


class TestMatchesSurvdiff:
    @pytest.mark.parametrize("case", CASES, ids=IDS)
    def test_statistic_df_and_p_value(self, case: dict[str, Any]) -> None:
        """The chi-square statistic, its degrees of freedom and p-value are survdiff's."""
        result = _run(case)
        expected = case["test"]
        assert result.df == expected["df"]
        assert_close([result.statistic, result.p_value], [expected["statistic"], expected["p_value"]])

    @pytest.mark.parametrize("case", CASES, ids=IDS)
    def test_observed_and_expected_per_group(self, case: dict[str, Any]) -> None:
        """(Weighted) observed and expected events per group, summed over strata, are survdiff's."""
        result = _run(case)
        expected = case["test"]
        assert list(result.groups) == expected["groups"]
        assert result.n.tolist() == expected["n"]
        assert_close(result.observed, expected["observed"], where="observed")
        assert_close(result.expected, expected["expected"], where="expected")

    @pytest.mark.parametrize("case", CASES, ids=IDS)
    def test_variance_matrix(self, case: dict[str, Any]) -> None:
        """The variance matrix of O - E is survdiff's var."""
        result = _run(case)
        assert_close(result.variance.tolist(), case["test"]["variance"], atol=1e-10)


class TestBehaviour:
    def test_group_without_events_keeps_its_expected_count(self) -> None:
        """A group with no events (edge group C) has observed 0 and a positive expected count."""
        frame = dataset("edge")
        result = logrank_test(frame["time"], frame["event"], frame["group"])
        assert result.observed[2] == 0
        assert result.expected[2] > 0

    def test_group_never_at_risk_at_an_event_is_left_out(self) -> None:
        """A group censored before the first event has expected 0 and does not count in the df."""
        result = logrank_test([5, 6, 7, 8, 1, 2], [1, 1, 0, 1, 0, 0], ["a", "a", "b", "b", "c", "c"])
        assert result.expected[2] == 0
        assert result.df == 1

    def test_swapping_group_labels_keeps_the_statistic(self) -> None:
        """The statistic does not depend on which group is listed first."""
        frame = dataset("aml")
        swapped = np.where(frame["x"] == "Maintained", "Z", frame["x"])
        first = logrank_test(frame["time"], frame["event"], frame["x"])
        second = logrank_test(frame["time"], frame["event"], swapped)
        assert_close(second.statistic, first.statistic, rtol=1e-12)

    def test_to_dict_and_text(self) -> None:
        """to_dict lists every group with observed/expected and the text states chi-square and df."""
        frame = dataset("veteran")
        result = logrank_test(frame["time"], frame["event"], frame["celltype"], rho=1)
        output = result.to_dict()
        assert [g["group"] for g in output["groups"]] == ["adeno", "large", "smallcell", "squamous"]
        assert "Peto–Peto test" in result.to_text()
        assert "on 3 df" in result.to_text()


class TestInputsAreRefused:
    def test_single_group(self) -> None:
        """One group cannot be compared with anything."""
        with pytest.raises(InputError, match="group"):
            logrank_test([1, 2, 3], [1, 0, 1], ["a", "a", "a"])

    def test_no_events(self) -> None:
        """Without any event no group has an expected count, so there is no test."""
        with pytest.raises(InputError, match="no test"):
            logrank_test([1, 2, 3, 4], [0, 0, 0, 0], ["a", "a", "b", "b"])

    def test_singular_variance(self) -> None:
        """Two groups whose only events tie with nobody else at risk: singular variance (R errors too)."""
        with pytest.raises(InputError, match="singular"):
            logrank_test([1, 1], [1, 1], ["a", "b"])

    def test_missing_stratum(self) -> None:
        """A missing stratum label is refused, naming strata."""
        with pytest.raises(InputError, match="strata"):
            logrank_test([1, 2, 3, 4], [1, 0, 1, 1], ["a", "b", "a", "b"], strata=[1, 1, float("nan"), 2])

    def test_non_finite_rho(self) -> None:
        """rho must be a finite number."""
        with pytest.raises(InputError, match="rho"):
            logrank_test([1, 2, 3, 4], [1, 0, 1, 1], ["a", "b", "a", "b"], rho=float("inf"))
