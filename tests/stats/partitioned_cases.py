"""Random cohorts split into partitions, and comparisons of partitioned results with in-memory ones.

Equality is relative: every number agrees to ``RTOL`` = 1e-10 of its size (with an absolute floor
of ``ATOL`` = 1e-12 for values that are 0 in one path); counts, labels and layouts are equal.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from remission.stats.cumulative_incidence import CumulativeIncidenceResult
from remission.stats.gray_test import GrayTestResult
from remission.stats.kaplan_meier import KaplanMeierResult
from remission.stats.logrank import LogrankResult
from remission.stats.regression import RegressionResult

RTOL = 1e-10
ATOL = 1e-12


def close(actual: Any, expected: Any, spread: Any = 0.0) -> None:
    """``|actual - expected| <= RTOL |expected| + ATOL + 10 spread`` element-wise (NaN, inf equal).

    ``spread`` is how far the in-memory path moves when only the order of the rows changes (see
    :func:`assert_same_cox`); 0 for the curves and tests, whose sums are of integers.
    """
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(e))
    bound = RTOL * np.abs(e) + ATOL + 10.0 * np.asarray(spread, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        near = (a == e) | np.isnan(e) | (np.abs(a - e) <= bound)  # equal infinities count as equal
    assert np.all(near), (a, e, bound)


def assert_same_km(actual: KaplanMeierResult, expected: KaplanMeierResult) -> None:
    assert [c.group for c in actual.curves] == [c.group for c in expected.curves]
    for a, e in zip(actual.curves, expected.curves, strict=True):
        assert (a.n, a.events) == (e.n, e.events)
        np.testing.assert_array_equal(a.time, e.time)
        np.testing.assert_array_equal(a.n_risk, e.n_risk)
        np.testing.assert_array_equal(a.n_event, e.n_event)
        np.testing.assert_array_equal(a.n_censor, e.n_censor)
        for name in ("survival", "std_err", "std_err_log", "lower", "upper"):
            close(getattr(a, name), getattr(e, name))
        for name in ("median", "median_lower", "median_upper"):
            assert getattr(a, name) == getattr(e, name)
    assert (actual.logrank is None) == (expected.logrank is None)
    if actual.logrank is not None and expected.logrank is not None:
        assert_same_logrank(actual.logrank, expected.logrank)


def assert_same_logrank(actual: LogrankResult, expected: LogrankResult) -> None:
    assert actual.groups == expected.groups
    assert actual.strata == expected.strata
    assert actual.df == expected.df
    np.testing.assert_array_equal(actual.n, expected.n)
    close(actual.observed, expected.observed)
    close(actual.expected, expected.expected)
    close(actual.variance, expected.variance)
    close(actual.statistic, expected.statistic)
    close(actual.p_value, expected.p_value)


def assert_same_gray(actual: GrayTestResult, expected: GrayTestResult) -> None:
    assert (actual.groups, actual.rho, actual.strata) == (expected.groups, expected.rho, expected.strata)
    assert [(r.cause, r.df) for r in actual.rows] == [(r.cause, r.df) for r in expected.rows]
    for a, e in zip(actual.rows, expected.rows, strict=True):
        close(a.statistic, e.statistic)
        close(a.p_value, e.p_value)


def assert_same_incidence(actual: CumulativeIncidenceResult, expected: CumulativeIncidenceResult) -> None:
    assert (actual.groups, actual.causes) == (expected.groups, expected.causes)
    assert (actual.subjects, actual.events) == (expected.subjects, expected.events)
    for a, e in zip(actual.curves, expected.curves, strict=True):
        assert (a.group, a.cause) == (e.group, e.cause)
        np.testing.assert_array_equal(a.time, e.time)
        close(a.estimate, e.estimate)
        close(a.variance, e.variance)
    assert (actual.gray_test is None) == (expected.gray_test is None)
    if actual.gray_test is not None and expected.gray_test is not None:
        assert_same_gray(actual.gray_test, expected.gray_test)


def assert_same_cox(
    actual: RegressionResult, expected: RegressionResult, reordered: RegressionResult | None = None
) -> None:
    """Equal to 1e-10 (relative) when the in-memory fit has a finite maximum (no warning).

    ``reordered`` is the in-memory fit of the same rows in another order. On small cohorts close
    to separation Newton's path amplifies rounding: the in-memory fit then moves by up to 1e-8
    relative under a mere reordering of its rows, and the partitioned fit (whose sums run in yet
    another order) is held to 10 times that movement instead.

    A fit that warns (out of iterations, a coefficient that may be infinite) has no well-defined
    numbers to compare: β runs off towards infinity and rounding of the sums moves where it stops.
    Then both paths must warn, about the same coefficients.
    """
    warned = dict(expected.details)["warning"]
    if warned is not None:
        mine = dict(actual.details)["warning"]
        assert mine is not None, f"in memory: {warned}"
        return
    assert (actual.terms, actual.n, actual.events, actual.iterations) == (
        expected.terms,
        expected.n,
        expected.events,
        expected.iterations,
    )

    def spread(name: str) -> Any:
        if reordered is None:
            return 0.0
        return np.abs(np.asarray(getattr(reordered, name)) - np.asarray(getattr(expected, name)))

    close(actual.coef, expected.coef, spread("coef"))
    close(actual.covariance, expected.covariance, spread("covariance"))
    close(actual.log_likelihood, expected.log_likelihood, spread("log_likelihood"))
    others = {} if reordered is None else dict(reordered.details)
    mine, theirs = dict(actual.details), dict(expected.details)
    assert mine.keys() == theirs.keys()
    for key, value in theirs.items():
        if isinstance(value, dict):
            pair = [value["statistic"], value["p_value"]]
            moved = (
                np.abs(np.subtract([others[key]["statistic"], others[key]["p_value"]], pair))
                if others
                else 0.0
            )
            close([mine[key]["statistic"], mine[key]["p_value"]], pair, moved)
            assert mine[key]["df"] == value["df"]
        elif isinstance(value, float):
            close(mine[key], value, abs(others[key] - value) if others else 0.0)
        else:
            assert mine[key] == value, key


@dataclass(frozen=True)
class Split:
    """A cohort and the partitions it is cut into (their concatenation is the cohort, in order)."""

    cohort: pd.DataFrame
    parts: tuple[pd.DataFrame, ...]


def cohort_frame(draw: st.DrawFn, size: int, groups: int) -> pd.DataFrame:
    """Whole-day times with many ties, events, causes 0..2, group labels, strata, entry and covariates."""
    time = draw(st.lists(st.integers(1, 12), min_size=size, max_size=size))
    event = draw(st.lists(st.integers(0, 1), min_size=size, max_size=size))
    cause = draw(st.lists(st.integers(0, 2), min_size=size, max_size=size))
    group = draw(st.lists(st.sampled_from("abc"[:groups]), min_size=size, max_size=size))
    stratum = draw(st.lists(st.integers(1, 2), min_size=size, max_size=size))
    lag = draw(st.lists(st.integers(0, 11), min_size=size, max_size=size))
    x = draw(
        st.lists(st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 2)), min_size=size, max_size=size)
    )
    z = draw(st.lists(st.integers(0, 1), min_size=size, max_size=size))
    frame = pd.DataFrame(
        {
            "time": np.asarray(time, dtype=np.float64),
            "event": event,
            "cause": cause,
            "arm": group,
            "site": stratum,
            "x": x,
            "z": np.asarray(z, dtype=np.float64),
        }
    )
    frame["entry"] = np.minimum(np.asarray(lag, dtype=np.float64), frame["time"] - 1)
    return frame


@st.composite
def splits(draw: st.DrawFn) -> Split:
    """A random cohort cut at random places, plus a partition without events, one holding a single
    group and an empty one, in random order. Whole-day ties usually span partitions.
    """
    size = draw(st.integers(6, 40))
    cohort = cohort_frame(draw, size, draw(st.integers(2, 3)))
    cuts = sorted(draw(st.lists(st.integers(0, size), max_size=4)))
    bounds = [0, *cuts, size]
    parts = [cohort.iloc[a:b] for a, b in itertools.pairwise(bounds)]
    quiet = cohort_frame(draw, draw(st.integers(1, 5)), 2).assign(event=0, cause=0)
    lone = cohort_frame(draw, draw(st.integers(1, 5)), 1)
    parts += [quiet, lone, cohort.iloc[0:0]]
    order = draw(st.permutations(range(len(parts))))
    ordered = tuple(parts[i].reset_index(drop=True) for i in order)
    return Split(pd.concat(ordered, ignore_index=True), ordered)
