"""Fine–Gray risk-set sums: the compiled passes equal the previous NumPy computation.

``_numpy_*`` below is the implementation remission used before issue 14's compiled loops (cumulative
sums over failure ranks, verified against ``cmprsk::crr`` by the fixtures of test_fine_gray.py),
copied here as the independent reference. Random cohorts with tied times, competing events,
censoring (also at time 0 and after the last failure, so G drops late), a single failure time and
one covariate must give the same G, ranks, risk-set sums, objective, score, information and
influence terms. The collinearity check, which skips the SVD for clearly full-rank designs, must
refuse exactly the designs the SVD rank refuses.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from remission.errors import InputError
from remission.stats._fine_gray_sums import SortedCohort, risk_sets, score_and_information, score_residuals
from remission.stats.fine_gray import _refuse_singular

_EPS = np.finfo(np.float64).eps


class _NumpyCohort:
    """The previous ``SortedCohort.of``: one sort, np.unique and searchsorted for the per-time pieces."""

    def __init__(self, time, status, x):
        order = np.argsort(time, kind="stable")
        time, status, x = time[order], status[order], x[order]
        x = x - x.mean(axis=0)
        distinct, start = np.unique(time, return_index=True)
        censored = np.add.reduceat((status == 0).astype(np.float64), start)
        at_risk = time.size - start
        g_after = np.cumprod(1.0 - censored / at_risk)
        position = np.searchsorted(distinct, time * (1.0 - 100.0 * _EPS), side="right") - 1
        self.g_before = np.where(position >= 0, g_after[np.maximum(position, 0)], 1.0)
        failed = status == 1
        fail_times, fail_count = np.unique(time[failed], return_counts=True)
        self.time, self.status, self.x = time, status, x
        self.fail_start = np.searchsorted(time, fail_times, side="left")
        self.fail_count = fail_count.astype(np.float64)
        self.fail_rank = np.searchsorted(fail_times, time, side="right")
        self.failed = failed
        self.competing = status == 2
        self.g_fail = self.g_before[self.fail_start]


def _numpy_at_failures(cohort, at_risk_terms, competing_terms):
    failures = cohort.fail_start.size
    rank = cohort.fail_rank
    per_rank = np.bincount(rank, weights=at_risk_terms, minlength=failures + 1)
    still = np.cumsum(per_rank[::-1])[::-1][1:]
    before = np.cumsum(np.bincount(rank, weights=competing_terms, minlength=failures + 1))[:failures]
    return still + cohort.g_fail * before


def _numpy_risk_sets(cohort, beta):
    eta = cohort.x @ beta
    shift = float(np.max(eta))
    weight = np.exp(eta - shift)
    competing_weight = np.where(cohort.competing, weight / cohort.g_before, 0.0)
    s0 = _numpy_at_failures(cohort, weight, competing_weight)
    s1 = np.zeros((s0.size, cohort.x.shape[1]))
    for j, column in enumerate(cohort.x.T):
        s1[:, j] = _numpy_at_failures(cohort, weight * column, competing_weight * column)
    neg_loglik = float(-np.sum(eta[cohort.failed] - shift) + np.sum(cohort.fail_count * np.log(s0)))
    return weight, s0, s1, neg_loglik


def _tail(values):
    zero = np.zeros((1, *values.shape[1:]))
    return np.concatenate((np.cumsum(values[::-1], axis=0)[::-1], zero))


def _numpy_score_and_information(cohort, weight, s0, s1):
    mean = s1 / s0[:, None]
    gradient = -cohort.x[cohort.failed].sum(axis=0) + cohort.fail_count @ mean
    hazard = cohort.fail_count / s0
    cumulative = np.concatenate(([0.0], np.cumsum(hazard)))
    tail_g = _tail(hazard * cohort.g_fail)
    c = cumulative[cohort.fail_rank] + np.where(
        cohort.competing, tail_g[cohort.fail_rank] / cohort.g_before, 0.0
    )
    weighted = cohort.x * (weight * c)[:, None]
    information = weighted.T @ cohort.x - (mean * cohort.fail_count[:, None]).T @ mean
    return gradient, information


def _numpy_score_residuals(cohort, weight, s0, s1):
    mean = s1 / s0[:, None]
    hazard = cohort.fail_count / s0
    rank = cohort.fail_rank
    x = cohort.x
    cum_hazard = np.concatenate(([0.0], np.cumsum(hazard)))[rank]
    cum_mean = np.concatenate((np.zeros((1, x.shape[1])), np.cumsum(hazard[:, None] * mean, axis=0)))[rank]
    g_hazard = hazard * cohort.g_fail
    tail_hazard = _tail(g_hazard)
    tail_mean = _tail(g_hazard[:, None] * mean)
    inverse_g = np.where(cohort.competing, 1.0 / cohort.g_before, 0.0)
    compensator = (x * cum_hazard[:, None] - cum_mean) + inverse_g[:, None] * (
        x * tail_hazard[rank][:, None] - tail_mean[rank]
    )
    residual = -weight[:, None] * compensator
    own_mean = mean[np.maximum(rank - 1, 0)]
    residual[cohort.failed] += x[cohort.failed] - own_mean[cohort.failed]
    # The censoring correction: q(u) / Y(u) against each subject's censoring martingale.
    p = x.shape[1]
    distinct, start, counts = np.unique(cohort.time, return_index=True, return_counts=True)
    censored = np.add.reduceat((cohort.status == 0).astype(np.float64), start)
    at_risk = (cohort.time.size - start).astype(np.float64)
    competing_weight = np.where(cohort.competing, weight / cohort.g_before, 0.0)
    e0 = np.concatenate(([0.0], np.cumsum(competing_weight)))[start]
    e1 = np.concatenate((np.zeros((1, p)), np.cumsum(competing_weight[:, None] * x, axis=0)))[start]
    first = np.searchsorted(cohort.time[cohort.fail_start], distinct, side="left")
    q = e1 * tail_hazard[first][:, None] - e0[:, None] * tail_mean[first]
    per_time = np.where(censored[:, None] > 0, q * (censored / at_risk**2)[:, None], 0.0)
    cumulated = np.cumsum(per_time, axis=0)
    subject_time = np.repeat(np.arange(distinct.size), counts)
    correction = -cumulated[subject_time]
    own = cohort.status == 0
    correction[own] += (q / at_risk[:, None])[subject_time[own]]
    return residual + correction


@st.composite
def cohorts(draw):
    """(time, status, x, beta): tied or continuous times, every status, at least one failure."""
    n = draw(st.integers(1, 60))
    if draw(st.booleans()):
        days = draw(st.integers(0, 12))  # few distinct days: many ties, time 0 possible
        time = np.array(draw(st.lists(st.integers(0, days), min_size=n, max_size=n)), dtype=np.float64)
    else:
        values = st.floats(0.0, 100.0, allow_nan=False, allow_subnormal=False)
        time = np.array(draw(st.lists(values, min_size=n, max_size=n)), dtype=np.float64)
    status = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), dtype=np.int64)
    status[draw(st.integers(0, n - 1))] = 1
    p = draw(st.integers(1, 4))
    x = np.array(draw(st.lists(st.floats(-3.0, 3.0), min_size=n * p, max_size=n * p))).reshape(n, p)
    beta = np.array(draw(st.lists(st.floats(-1.5, 1.5), min_size=p, max_size=p)))
    return time, status, x, beta


def _close(actual, expected, scale=1.0):
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-11 * scale)


# A late censoring drop: G falls after the early competing failures and before the last failure time.
_LATE_DROP = (
    np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]),
    np.array([1, 2, 1, 0, 0, 1, 2, 0]),
    np.array([[0.5], [-1.0], [2.0], [0.1], [1.2], [-0.3], [0.7], [0.0]]),
    np.array([0.4]),
)
# One failure time shared by two failures, competing events before and after it, censoring at time 0.
_SINGLE_FAILURE_TIME = (
    np.array([0.0, 0.0, 1.0, 2.0, 2.0, 2.0, 3.0, 4.0]),
    np.array([0, 2, 2, 1, 1, 0, 2, 0]),
    np.array([[0.5, 1.0], [-1.0, 0.0], [2.0, 1.0], [0.1, 0.0], [1.2, 1.0], [-0.3, 0.0], [0.7, 1.0], [0, 0]]),
    np.array([-0.2, 0.9]),
)


@given(cohorts())
@example(_LATE_DROP)
@example(_SINGLE_FAILURE_TIME)
@settings(max_examples=200, deadline=None)
def test_compiled_sums_equal_the_numpy_sums(cohort):
    """G, ranks, S0, S1, objective, score, information and influence terms equal the NumPy reference."""
    time, status, x, beta = cohort
    reference = _NumpyCohort(time, status, x)
    sorted_cohort = SortedCohort.of(time, status, x)
    np.testing.assert_array_equal(sorted_cohort.time, reference.time)
    np.testing.assert_array_equal(sorted_cohort.status, reference.status)
    np.testing.assert_array_equal(sorted_cohort.g_before, reference.g_before)
    np.testing.assert_array_equal(sorted_cohort.fail_rank, reference.fail_rank)
    np.testing.assert_array_equal(sorted_cohort.fail_count, reference.fail_count)
    np.testing.assert_array_equal(sorted_cohort.g_fail, reference.g_fail)

    weight, s0, s1, neg_loglik = _numpy_risk_sets(reference, beta)
    sets = risk_sets(sorted_cohort, beta)
    _close(sets.weight, weight)
    _close(sets.s0, s0, np.max(s0))
    _close(sets.s1, s1, np.max(np.abs(s1), initial=1.0))
    _close(sets.neg_loglik, neg_loglik, abs(neg_loglik) + 1.0)
    objective_only = risk_sets(sorted_cohort, beta, first_moment=False)
    assert objective_only.s1.shape == (s0.size, 0)
    _close(objective_only.s0, sets.s0)
    assert objective_only.neg_loglik == sets.neg_loglik

    gradient, information = _numpy_score_and_information(reference, weight, s0, s1)
    compiled_gradient, compiled_information = score_and_information(sorted_cohort, sets)
    scale = float(np.sum(reference.fail_count)) * (1.0 + float(np.max(np.abs(x))) ** 2)
    _close(compiled_gradient, gradient, scale)
    _close(compiled_information, information, scale)
    assert np.array_equal(compiled_information, compiled_information.T)

    residuals = _numpy_score_residuals(reference, weight, s0, s1)
    _close(score_residuals(sorted_cohort, sets), residuals, scale)


def test_the_examples_reach_their_edge_cases():
    """The late drop weights the early competing failure by G(t-) < 1; the single failure time has G < 1."""
    time, status, x, _ = _LATE_DROP
    cohort = SortedCohort.of(time, status, x)
    assert cohort.g_fail[:2].tolist() == [1.0, 1.0]
    assert cohort.g_fail[2] == (1.0 - 1.0 / 5.0) * (1.0 - 1.0 / 4.0)  # censored at 4 and 5
    time, status, x, _ = _SINGLE_FAILURE_TIME
    cohort = SortedCohort.of(time, status, x)
    assert cohort.fail_count.tolist() == [2.0]
    assert cohort.g_fail[0] < 1.0  # censored at time 0, so G(2-) < 1


@st.composite
def designs(draw):
    """Designs whose last column is a combination of the others plus noise from 1 down to 1e-17."""
    n = draw(st.integers(3, 200))
    p = draw(st.integers(2, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.normal(size=(n, p)) * rng.uniform(1e-3, 1e3, size=p)
    noise = 10.0 ** -draw(st.integers(0, 17))
    x[:, -1] = x[:, :-1] @ rng.normal(size=p - 1) + noise * rng.normal(size=n) * np.abs(x[:, 0]).max()
    return x


@given(designs())
@settings(max_examples=200, deadline=None)
def test_collinearity_refusal_is_the_svd_rank(x):
    """The design is refused exactly when matrix_rank of the centred, unit-norm design is short."""
    names = tuple(f"x{j}" for j in range(x.shape[1]))
    centred = x - x.mean(axis=0)
    rank = int(np.linalg.matrix_rank(centred / np.linalg.norm(centred, axis=0)))
    if rank < x.shape[1]:
        with pytest.raises(InputError, match="collinear"):
            _refuse_singular(centred, names)
    else:
        _refuse_singular(centred, names)
