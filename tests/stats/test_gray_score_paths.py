"""Gray's score and variance: the compiled pass over the times equals the previous dense computation.

``_dense_cause_score`` is the computation remission used before issue 14 (every time × group cell
of every cause, in NumPy, verified against cmprsk by the fixtures of test_gray_test.py); the
compiled pass walks the count table once and adds the other causes' terms where they happen. Random
cohorts with ties, several causes, groups, empty groups at some times and rho != 0 must give the
same numbers.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from remission.stats._gray_score import cause_score
from remission.stats._risk_table import count_by_time


def _risk_and_events(counts):
    """Number at risk per group and events per group and cause, at the times with an event."""
    leaving = counts.sum(axis=2)
    at_risk = np.cumsum(leaving[::-1], axis=0)[::-1].astype(np.float64)
    keep = np.flatnonzero(counts[:, :, 1:].sum(axis=(1, 2)))
    return at_risk[keep], counts[keep, :, 1:]


def _dense_cause_score(at_risk, events, j, rho):
    """The previous (times, groups) implementation, its block loop written time by time: the reference."""
    ng = at_risk.shape[1]
    ng1 = ng - 1
    d1 = events[:, :, j].astype(np.float64)
    d2 = events.sum(axis=2) - d1
    nd1 = d1.sum(axis=1)
    live = at_risk > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        km = np.cumprod(np.where(live, (at_risk - d1 - d2) / at_risk, 1.0), axis=0)
        km_before = np.vstack((np.ones((1, ng)), km[:-1]))
        own = np.cumsum(np.where(live, km_before * d1 / at_risk, 0.0), axis=0)
        own_before = np.vstack((np.zeros((1, ng)), own[:-1]))
        weight = np.where(live, at_risk / km_before, 0.0)
        total = weight.sum(axis=1)
        total_q = np.where(live, at_risk * (1.0 - own_before) / km_before, 0.0).sum(axis=1)
        pooled = np.cumsum(nd1 / total)
        pooled_before = np.concatenate(([0.0], pooled[:-1]))
        fb = (1.0 - pooled_before) ** rho
        expected = np.where(live, at_risk * (1.0 - own_before) / (km_before * total_q[:, None]), 0.0)
        score = (fb[:, None] * (d1 - nd1[:, None] * expected))[:, :ng1].sum(axis=0)
        t4 = np.where(km > 0, 1.0 - (1.0 - pooled[:, None]) / km, 1.0)
        ties1 = np.where(
            nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (total[:, None] * km_before - 1.0), 1.0
        )
        t3 = np.where(
            live & (nd1[:, None] > 0), ties1 * km_before * nd1[:, None] / (total[:, None] * at_risk), 0.0
        )
        active2 = (km > 0) & (d2 > 0)
        t4b = np.where(active2, (1.0 - pooled[:, None]) / km, 0.0)
        ties2 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (at_risk - 1.0), 1.0)
        t3b = np.where(active2, ties2 * km_before**2 * d2 / at_risk**2, 0.0)
        c_step = np.nan_to_num(nd1 / (total * (1.0 - pooled_before)))
    alpha = np.nan_to_num(t3)
    beta = alpha * t4
    gamma = alpha * t4 * t4 + np.nan_to_num(t3b) * t4b * t4b
    v3 = gamma.sum(axis=0)
    variance = np.zeros((ng1, ng1))
    v2 = np.zeros((ng1, ng))
    c = np.zeros((ng1, ng))
    for t in range(d1.shape[0]):
        w = weight[t]
        a = fb[t] * (np.diag(w)[:ng1] - np.outer(w[:ng1], w) / total[t])
        c = c + a * c_step[t]
        variance += (a * alpha[t]) @ a.T - (a * beta[t]) @ c.T - (c * beta[t]) @ a.T + (c * gamma[t]) @ c.T
        v2 += a * beta[t] - c * gamma[t]
    variance += (c * v3) @ c.T + c @ v2.T + v2 @ c.T
    return score, variance


@st.composite
def cohorts(draw):
    n = draw(st.integers(8, 80))
    groups = draw(st.integers(2, 4))
    causes = draw(st.integers(1, 3))
    days = draw(st.integers(3, 40))  # few distinct days: many tied times
    time = np.array(draw(st.lists(st.integers(0, days), min_size=n, max_size=n)), dtype=np.float64)
    cause = np.array(draw(st.lists(st.integers(0, causes), min_size=n, max_size=n)), dtype=np.int64)
    group = np.array(draw(st.lists(st.integers(0, groups - 1), min_size=n, max_size=n)), dtype=np.int64)
    rho = draw(st.sampled_from([0.0, 0.5, 1.0]))
    return time, cause, group, groups, causes, rho


@given(cohorts())
@settings(max_examples=150, deadline=None)
def test_compiled_pass_equals_dense_path(cohort):
    time, cause, group, ng, causes, rho = cohort
    width = causes + 1
    table = count_by_time(time, group * width + cause, ng * width)
    counts = table.counts.reshape(table.time.size, ng, width)
    at_risk, events = _risk_and_events(counts)
    for j in range(causes):
        score, variance = cause_score(counts, j, rho)
        expected_score, expected_variance = _dense_cause_score(at_risk, events, j, rho)
        np.testing.assert_allclose(score, expected_score, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(variance, expected_variance, rtol=1e-9, atol=1e-11)


def test_continuous_times_equal_dense_path():
    """Thousands of distinct times, nearly all with one subject: the running sums carry over all."""
    rng = np.random.default_rng(3)
    n = 3_000
    time = rng.exponential(100.0, n)
    cause = rng.integers(0, 3, n)
    group = rng.integers(0, 3, n)
    table = count_by_time(time, group * 3 + cause, 9)
    counts = table.counts.reshape(table.time.size, 3, 3)
    at_risk, events = _risk_and_events(counts)
    for j in range(2):
        score, variance = cause_score(counts, j, 0.0)
        expected_score, expected_variance = _dense_cause_score(at_risk, events, j, 0.0)
        np.testing.assert_allclose(score, expected_score, rtol=1e-9)
        np.testing.assert_allclose(variance, expected_variance, rtol=1e-9)


def test_a_time_where_the_pooled_incidence_reaches_one_equals_dense_path():
    """Found by Hypothesis: every subject of the only group left at risk fails, so 1 - F(t-) is 0 at
    the next time and Gray's c(t) step divides by zero; the loop must give NumPy's inf/NaN handling
    (nan_to_num of the step), not raise."""
    counts = np.array([[[1, 7], [17, 0]], [[0, 0], [6, 2]]], dtype=np.int64)
    at_risk, events = _risk_and_events(counts)
    score, variance = cause_score(counts, 0, 0.0)
    expected_score, expected_variance = _dense_cause_score(at_risk, events, 0, 0.0)
    np.testing.assert_allclose(score, expected_score, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(variance, expected_variance, rtol=1e-9, atol=1e-11)
