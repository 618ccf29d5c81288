"""Restricted mean survival time against R's ``summary(survfit(...), rmean = tau)`` (``reference/R/km.R``)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from scipy import stats as scipy_stats

from remission.errors import InputError
from remission.stats.restricted_mean import RestrictedMeanResult, restricted_mean
from stats.r_reference import assert_close, dataset, fixture

CASES = fixture("km_rmean")
IDS = [f"{c['data']}-{c['group'] or 'all'}{'-entry' if c['entry'] else ''}-tau{c['tau']}" for c in CASES]


def _run(case: dict[str, Any]) -> RestrictedMeanResult:
    frame = dataset(case["data"])
    time = frame["stop"] if case["data"] == "heart" else frame["time"]
    return restricted_mean(
        time.to_numpy(),
        frame["event"].to_numpy(),
        tau=case["tau"],
        group=None if case["group"] is None else frame[case["group"]].to_numpy(),
        entry=None if case["entry"] is None else frame[case["entry"]].to_numpy(),
    )


class TestMatchesR:
    @pytest.mark.parametrize("case", CASES, ids=IDS)
    def test_rmean_per_group(self, case: dict[str, Any]) -> None:
        """Each group's restricted mean up to tau is R's rmean."""
        result = _run(case)
        assert [g.group for g in result.groups] == case["groups"]
        assert_close([g.rmean for g in result.groups], case["rmean"])

    @pytest.mark.parametrize("case", CASES, ids=IDS)
    def test_standard_error_per_group(self, case: dict[str, Any]) -> None:
        """Each group's standard error is R's se(rmean)."""
        assert_close([g.se for g in _run(case).groups], case["se"])

    @pytest.mark.parametrize("case", [c for c in CASES if len(c["groups"]) > 1], ids=lambda c: c["data"])
    def test_difference_uses_r_numbers_and_independent_variances(self, case: dict[str, Any]) -> None:
        """Difference from the first group = R's rmean difference, se = sqrt(se1² + se2²) of R's se."""
        result = _run(case)
        for index, difference in enumerate(result.differences, start=1):
            assert (difference.group, difference.reference) == (case["groups"][index], case["groups"][0])
            assert_close(difference.estimate, case["rmean"][index] - case["rmean"][0], atol=1e-9)
            assert_close(difference.se, math.hypot(case["se"][index], case["se"][0]))


CONSTRUCTED = fixture("km_curves_constructed")


class TestConstructedCurves:
    @pytest.mark.parametrize("data", CONSTRUCTED, ids=lambda d: d["name"])
    def test_rmean_and_se_match_r(self, data: dict[str, Any]) -> None:
        """Event at time 0, curves reaching 0 and late entry give R's rmean and se(rmean)."""
        result = restricted_mean(data["time"], data["event"], entry=data["entry"], tau=data["rmean_tau"])
        (group,) = result.groups
        assert_close([group.rmean, group.se], [data["rmean"], data["rmean_se"]])


class TestDifference:
    def test_z_and_p_follow_from_estimate_and_se(self) -> None:
        """The Wald z is estimate/se and the p-value its two-sided normal tail."""
        frame = dataset("lung")
        (difference,) = restricted_mean(
            frame["time"], frame["event"], tau=365, group=frame["sex"]
        ).differences
        assert difference.z == pytest.approx(difference.estimate / difference.se, rel=1e-12)
        assert difference.p_value == pytest.approx(2 * scipy_stats.norm.sf(abs(difference.z)), rel=1e-12)

    def test_limits_use_the_confidence_level(self) -> None:
        """A 90% interval is estimate ± 1.645·se."""
        frame = dataset("lung")
        result = restricted_mean(frame["time"], frame["event"], tau=365, group=frame["sex"], conf_level=0.9)
        (difference,) = result.differences
        half = scipy_stats.norm.ppf(0.95) * difference.se
        assert (difference.lower, difference.upper) == pytest.approx(
            (difference.estimate - half, difference.estimate + half), rel=1e-12
        )

    def test_every_group_is_compared_with_the_first(self) -> None:
        """With four cell types there are three differences, each against adeno."""
        frame = dataset("veteran")
        result = restricted_mean(frame["time"], frame["event"], tau=200, group=frame["celltype"])
        assert [(d.group, d.reference) for d in result.differences] == [
            ("large", "adeno"),
            ("smallcell", "adeno"),
            ("squamous", "adeno"),
        ]

    def test_tau_before_any_follow_up_gives_tau(self) -> None:
        """Before the first time the curve is 1, so the restricted mean is tau with se 0."""
        (group,) = restricted_mean([5, 6, 7], [1, 1, 0], tau=2).groups
        assert (group.rmean, group.se) == (2.0, 0.0)

    def test_json_and_text(self) -> None:
        """to_json lists groups and differences and the text names the comparison."""
        frame = dataset("aml")
        result = restricted_mean(frame["time"], frame["event"], tau=40, group=frame["x"])
        assert len(result.to_dict()["differences"]) == 1
        assert "Nonmaintained - Maintained" in result.to_text()
        assert result.to_json()


class TestInputsAreRefused:
    @pytest.mark.parametrize("tau", [0, -1, float("inf"), float("nan"), "soon"])
    def test_tau_must_be_positive_and_finite(self, tau: Any) -> None:
        """tau must be a positive finite time."""
        with pytest.raises(InputError, match="tau"):
            restricted_mean([1, 2, 3], [1, 0, 1], tau=tau)
