"""Landmark analyses against R run on the explicitly subset data (``reference/R/km.R``)."""

from __future__ import annotations

from typing import Any

import pytest

from remission.errors import InputError
from remission.stats.landmark import LandmarkResult, landmark
from stats.km_reference import assert_curve_matches, paired
from stats.r_reference import assert_close, dataset, fixture

CASES = fixture("km_landmark")
IDS = [f"{c['data']}-{c['group']}-at{c['landmark']}" for c in CASES]


def _run(case: dict[str, Any]) -> LandmarkResult:
    frame = dataset(case["data"])
    return landmark(
        frame["time"].to_numpy(),
        frame["event"].to_numpy(),
        frame[case["group"]].to_numpy(),
        landmark_time=case["landmark"],
    )


class TestMatchesR:
    @pytest.mark.parametrize("case", CASES, ids=IDS)
    def test_curves_from_the_landmark(self, case: dict[str, Any]) -> None:
        """Every point of each group's curve, in time since the landmark, matches survfit on the subset."""
        for curve, expected in paired(_run(case).fit, case):
            assert_curve_matches(curve, expected, f"{case['data']}.{curve.group}")

    @pytest.mark.parametrize("case", CASES, ids=IDS)
    def test_medians_from_the_landmark(self, case: dict[str, Any]) -> None:
        """Medians and their limits match print(survfit) on the subset."""
        for curve, expected in paired(_run(case).fit, case):
            assert_close(
                [curve.median, curve.median_lower, curve.median_upper],
                [expected["median"], expected["median_lower"], expected["median_upper"]],
            )

    @pytest.mark.parametrize("case", CASES, ids=IDS)
    def test_logrank_on_the_subset(self, case: dict[str, Any]) -> None:
        """The log-rank test matches survdiff on the subset."""
        output = _run(case).to_dict()
        assert_close(output["logrank"], case["logrank"])

    @pytest.mark.parametrize("case", CASES, ids=IDS)
    def test_excluded_counts(self, case: dict[str, Any]) -> None:
        """Subjects with time <= landmark are excluded, counted per group as R's table()."""
        result = _run(case)
        assert result.n_excluded == case["excluded"]
        assert [label for label, _ in result.excluded] == case["group_levels"]
        assert [count for _, count in result.excluded] == case["excluded_by_group"]


class TestConvention:
    def test_time_equal_to_landmark_is_excluded(self) -> None:
        """An event exactly at the landmark is before the landmark comparison starts, so it is excluded."""
        result = landmark([10, 11, 12], [1, 1, 0], None, landmark_time=10)
        assert result.n_excluded == 1
        assert result.fit.curves[0].n == 2

    def test_times_are_measured_from_the_landmark(self) -> None:
        """Kept subjects' curve times are their time minus the landmark."""
        result = landmark([5, 12, 20], [1, 0, 1], None, landmark_time=10)
        assert result.fit.curves[0].time.tolist() == [2.0, 10.0]

    def test_group_emptied_by_the_landmark_is_still_counted(self) -> None:
        """A group with nobody left appears in the counts with 0 included."""
        output = landmark([5, 6, 12, 20], [1, 1, 0, 1], ["a", "a", "b", "b"], landmark_time=10).to_dict()
        assert output["counts"] == [
            {"group": "a", "included": 0, "excluded": 2},
            {"group": "b", "included": 2, "excluded": 0},
        ]
        assert "logrank" not in output

    def test_text_states_the_landmark(self) -> None:
        """The text rendering starts with the landmark and the excluded counts."""
        frame = dataset("lung")
        text = landmark(frame["time"], frame["event"], frame["sex"], landmark_time=180).to_text()
        assert text.startswith("Landmark at 180")


class TestInputsAreRefused:
    def test_nobody_left(self) -> None:
        """A landmark after all follow-up leaves nobody to analyse."""
        with pytest.raises(InputError, match="landmark_time"):
            landmark([1, 2, 3], [1, 0, 1], None, landmark_time=3)

    @pytest.mark.parametrize("value", [-1, float("nan"), "later"])
    def test_landmark_must_be_a_finite_non_negative_time(self, value: Any) -> None:
        """The landmark must be a finite time >= 0."""
        with pytest.raises(InputError, match="landmark_time"):
            landmark([1, 2, 3], [1, 0, 1], None, landmark_time=value)
