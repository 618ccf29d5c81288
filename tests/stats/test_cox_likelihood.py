"""The per-time aggregated Cox likelihood equals a direct O(n²) computation, for Efron and Breslow.

The reference below walks every event time of every stratum, collects its risk set row by row
(``entry < t ≤ stop``) and applies the textbook formulas (Therneau & Grambsch 2000, §3.3) event
by event, with no cumulative sums, no grouping and no swapped sums; small random data with many
ties, strata and late entry exercise every index the fast version builds.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from remission.stats import _cox_likelihood as cox_likelihood
from remission.stats._cox_likelihood import evaluate, risk_sets


def _direct(
    stop: NDArray[np.float64],
    event: NDArray[np.int64],
    x: NDArray[np.float64],
    strata: NDArray[np.int64],
    entry: NDArray[np.float64] | None,
    beta: NDArray[np.float64],
    efron: bool,
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    n, p = x.shape
    centred = x - x.mean(axis=0)
    eta = centred @ beta
    weight = np.exp(eta)
    start = np.full(n, -np.inf) if entry is None else entry
    log_likelihood, score, information = 0.0, np.zeros(p), np.zeros((p, p))
    for stratum in np.unique(strata):
        for t in np.unique(stop[(strata == stratum) & (event == 1)]):
            risk = [i for i in range(n) if strata[i] == stratum and start[i] < t <= stop[i]]
            dying = [i for i in range(n) if strata[i] == stratum and stop[i] == t and event[i] == 1]
            d = len(dying)
            for i in dying:
                log_likelihood += eta[i]
                score += centred[i]
            for k in range(d):
                f = k / d if efron else 0.0
                s0 = sum(weight[i] for i in risk) - f * sum(weight[i] for i in dying)
                s1 = sum(weight[i] * centred[i] for i in risk)
                s1 = s1 - f * sum(weight[i] * centred[i] for i in dying)
                s2 = sum(weight[i] * np.outer(centred[i], centred[i]) for i in risk) - f * sum(
                    weight[i] * np.outer(centred[i], centred[i]) for i in dying
                )
                mean = s1 / s0
                log_likelihood -= np.log(s0)
                score -= mean
                information += s2 / s0 - np.outer(mean, mean)
    return log_likelihood, score, information


@st.composite
def cohorts(draw: st.DrawFn) -> tuple:
    n = draw(st.integers(2, 24))
    p = draw(st.integers(1, 3))
    # Few distinct times: most event times are tied, several with events and censorings at once.
    stop = np.array(draw(st.lists(st.integers(1, 6), min_size=n, max_size=n)), dtype=np.float64)
    event = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), dtype=np.int64)
    event[draw(st.integers(0, n - 1))] = 1
    values = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
    x = np.array(draw(st.lists(values, min_size=n * p, max_size=n * p))).reshape(n, p)
    strata = np.array(draw(st.lists(st.integers(0, draw(st.integers(0, 2))), min_size=n, max_size=n)))
    entry = None
    if draw(st.booleans()):
        # Late entry on the same grid, so entries tie with stop times too (entry < stop).
        entry = stop - np.array(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)), dtype=np.float64)
    beta = np.array(draw(st.lists(st.floats(-1.0, 1.0), min_size=p, max_size=p)))
    return stop, event, x, strata.astype(np.int64), entry, beta


@pytest.mark.parametrize("efron", [True, False], ids=["efron", "breslow"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohort=cohorts())
def test_grouped_sums_equal_the_direct_computation(efron: bool, cohort: tuple) -> None:
    stop, event, x, strata, entry, beta = cohort
    fast = evaluate(risk_sets(stop, event, x, strata, entry, efron), beta)
    log_likelihood, score, information = _direct(stop, event, x, strata, entry, beta, efron)
    assert fast.log_likelihood == pytest.approx(log_likelihood, rel=1e-10, abs=1e-10)
    np.testing.assert_allclose(fast.score, score, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fast.information, information, rtol=1e-9, atol=1e-9)


def test_continuous_times_without_ties_give_the_same_result_for_efron_and_breslow() -> None:
    """With no tied event times Efron's correction vanishes: both methods must agree exactly."""
    rng = np.random.default_rng(7)
    n = 400
    stop = rng.exponential(1.0, n)
    event = rng.integers(0, 2, n).astype(np.int64)
    x = rng.normal(size=(n, 3))
    strata = rng.integers(0, 2, n).astype(np.int64)
    beta = np.array([0.3, -0.2, 0.1])
    efron = evaluate(risk_sets(stop, event, x, strata, None, True), beta)
    breslow = evaluate(risk_sets(stop, event, x, strata, None, False), beta)
    reference = _direct(stop, event, x, strata, None, beta, True)
    assert efron.log_likelihood == pytest.approx(breslow.log_likelihood, rel=1e-12)
    np.testing.assert_allclose(efron.information, breslow.information, rtol=1e-10)
    np.testing.assert_allclose(efron.score, reference[1], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(efron.information, reference[2], rtol=1e-9, atol=1e-9)


def test_efron_terms_formed_in_chunks_equal_those_formed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Efron's per-event terms are formed a bounded number of events at a time; blocks are never split.

    With a chunk of 3 events, blocks of 1..7 tied events (some larger than the chunk) give the
    numbers of the single pass to rounding, and the direct computation's.
    """
    rng = np.random.default_rng(11)
    n = 120
    stop = rng.integers(1, 15, n).astype(np.float64)
    event = rng.integers(0, 2, n).astype(np.int64)
    x = rng.normal(size=(n, 2))
    strata = np.zeros(n, np.int64)
    beta = np.array([0.3, -0.2])
    sets = risk_sets(stop, event, x, strata, None, efron=True)
    assert sets.deaths.max() > 3
    whole = evaluate(sets, beta)
    monkeypatch.setattr(cox_likelihood, "TIE_CHUNK", 3)
    chunked = evaluate(sets, beta)
    np.testing.assert_allclose(chunked.log_likelihood, whole.log_likelihood, rtol=1e-13)
    np.testing.assert_allclose(chunked.score, whole.score, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(chunked.information, whole.information, rtol=1e-12)
    direct = _direct(stop, event, x, strata, None, beta, efron=True)
    np.testing.assert_allclose(chunked.log_likelihood, direct[0], rtol=1e-10)
    np.testing.assert_allclose(chunked.information, direct[2], rtol=1e-10)
