"""The distinct-time index: the counting path for whole-number times gives np.unique's answer."""

from __future__ import annotations

import numpy as np
import pytest

from remission.stats._risk_table import distinct_times


@pytest.mark.parametrize(
    "times",
    [
        np.array([3.0, 1.0, 3.0, 7.0, 0.0, 1.0]),  # whole days, ties, zero
        np.array([365.0, 366.0, 10_000.0]),  # wide range for three subjects: falls back to sorting
        np.array([1.5, 0.5, 1.5, 2.0]),  # fractional: falls back to sorting
        np.array([1e9, 1e9 + 1, 1e9 + 3]),  # whole numbers far from zero: counted from the minimum
        np.array([5.0]),
    ],
)
def test_matches_numpy_unique(times):
    """Distinct values and each subject's index equal np.unique(return_inverse=True)."""
    values, index = distinct_times(times)
    expected_values, expected_index = np.unique(times, return_inverse=True)
    np.testing.assert_array_equal(values, expected_values)
    np.testing.assert_array_equal(index, expected_index.reshape(-1))


def test_random_days_match_numpy_unique():
    """A large cohort of whole-day times takes the counting path and still agrees with np.unique."""
    times = np.random.default_rng(7).integers(0, 5000, 100_000).astype(np.float64)
    values, index = distinct_times(times)
    expected_values, expected_index = np.unique(times, return_inverse=True)
    np.testing.assert_array_equal(values, expected_values)
    np.testing.assert_array_equal(index, expected_index.reshape(-1))
    np.testing.assert_array_equal(values[index], times)
