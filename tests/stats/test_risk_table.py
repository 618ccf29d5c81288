"""The distinct-time index and the count table agree with np.unique (whole days counted, others sorted)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remission.stats._risk_table import count_by_time, distinct_times


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


def _unique_then_bincount(times, key, width):
    """The previous path: np.unique's index, then one bincount per (time, key) cell."""
    values, index = np.unique(times, return_inverse=True)
    counts = np.bincount(index.reshape(-1) * width + key, minlength=values.size * width)
    return values, counts.reshape(values.size, width)


@given(
    st.lists(
        st.tuples(st.sampled_from([0.0, 1.0, 2.0, 2.5, 7.0, 30.0, 365.0, 1e-9, 1e6]), st.integers(0, 5)),
        min_size=1,
        max_size=60,
    ),
    st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_count_by_time_equals_unique_then_bincount(rows, as_days):
    """Both paths of count_by_time (counted whole days, sorted other times) give the previous counts."""
    times = np.array([t if not as_days else float(round(t)) for t, _ in rows])
    key = np.array([k for _, k in rows], dtype=np.int64)
    table = count_by_time(times, key, 6)
    expected_time, expected_counts = _unique_then_bincount(times, key, 6)
    np.testing.assert_array_equal(table.time, expected_time)
    np.testing.assert_array_equal(table.counts, expected_counts)
    np.testing.assert_array_equal(table.at_or_after()[0], np.bincount(key, minlength=6))


@pytest.mark.parametrize("kind", ["days", "continuous"])
def test_count_by_time_on_a_large_cohort(kind):
    """10^5 subjects with ties (days) or without (continuous): same counts as the previous path."""
    rng = np.random.default_rng(11)
    times = rng.exponential(300.0, 100_000)
    times = np.ceil(times) if kind == "days" else times
    key = rng.integers(0, 9, times.size)
    table = count_by_time(times, key, 9)
    expected_time, expected_counts = _unique_then_bincount(times, key, 9)
    np.testing.assert_array_equal(table.time, expected_time)
    np.testing.assert_array_equal(table.counts, expected_counts)
