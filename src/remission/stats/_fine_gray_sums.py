"""Risk-set sums of the Fine–Gray model in linear time: one sort, then compiled passes.

At a failure time t of the cause of interest, the subdistribution risk set holds everyone still
followed (T_j >= t, weight 1) and everyone who failed earlier from another cause (weight
G(t-)/G(T_j-), G the Kaplan–Meier estimate of the censoring distribution). So every risk-set sum
splits into a sum over T_j >= t plus G(t-) times a sum of the competing-event terms divided by
G(T_j-) over T_j < t. Subjects between two failure times share their risk sets, so each pass over the
sorted subjects adds its terms into one bin per failure rank (the number of failure times <= T_j)
and the bins are then cumulated over the failure times. Sums over failure times that every subject
needs (its cumulative hazard, its score residual) are cumulative sums over failure times read at the
subject's rank. G is evaluated as ``cmprsk::crr`` does: the step function at T (1 - 100 eps), i.e.
just before T.

The loops are compiled by :func:`remission.stats._compiled.compiled`; each takes C-contiguous float64
and int64 arrays only (prepared by :class:`SortedCohort`), so each compiles once.

Reference: Fine JP, Gray RJ (1999). A proportional hazards model for the subdistribution of a
competing risk. JASA 94:496–509 (estimating equation and sandwich variance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from remission.stats._compiled import compiled

# crr evaluates G at T (1 - 100 eps); a plain float so the compiled loop reads it as a constant.
_BEFORE = 1.0 - 100.0 * float(np.finfo(np.float64).eps)
_CENSORED, _FAILED, _COMPETING = 0, 1, 2


@dataclass(frozen=True, eq=False)
class SortedCohort:
    """Subjects sorted by time with what every Newton iteration reuses.

    ``status``: 1 failure of interest, 2 competing failure, 0 censored. ``x`` is centred (column
    means removed), which changes neither the coefficients nor the pseudo-likelihood.
    """

    time: NDArray[np.float64]
    status: NDArray[np.int64]
    x: NDArray[np.float64]
    g_before: NDArray[np.float64]  # censoring KM just before each subject's time
    fail_rank: NDArray[np.int64]  # per subject: number of distinct failure times <= its time
    fail_count: NDArray[np.float64]  # failures of interest at each distinct failure time
    g_fail: NDArray[np.float64]  # G just before each distinct failure time

    @classmethod
    def of(cls, time: NDArray[np.float64], status: NDArray[np.int64], x: NDArray[np.float64]) -> SortedCohort:
        order = np.argsort(time, kind="stable")
        time = np.ascontiguousarray(time[order], dtype=np.float64)
        status = np.ascontiguousarray(status[order], dtype=np.int64)
        x = np.ascontiguousarray(x, dtype=np.float64)
        x = _sorted_centred(x, order.astype(np.int64), x.mean(axis=0))
        g_before, fail_rank, fail_count, g_fail = _censoring_and_ranks(time, status)
        return cls(
            time=time,
            status=status,
            x=x,
            g_before=g_before,
            fail_rank=fail_rank,
            fail_count=fail_count,
            g_fail=g_fail,
        )


@dataclass(frozen=True, eq=False)
class RiskSets:
    """Weighted risk-set sums at each distinct failure time for one coefficient vector.

    Weights are exp(x b - shift); the shift cancels in every ratio and is added back in the
    log pseudo-likelihood.
    """

    weight: NDArray[np.float64]  # exp(eta - shift) per subject
    s0: NDArray[np.float64]  # (failure times,)
    s1: NDArray[np.float64]  # (failure times, p); (failure times, 0) without the first moment
    neg_loglik: float  # crr's objective: minus the log pseudo-likelihood


def risk_sets(cohort: SortedCohort, beta: NDArray[np.float64], *, first_moment: bool = True) -> RiskSets:
    """Risk-set sums S0 (and S1) at every distinct failure time, and the objective."""
    weight, s0, s1, neg_loglik = _risk_set_sums(
        cohort.x,
        cohort.status,
        cohort.g_before,
        cohort.fail_rank,
        cohort.fail_count,
        cohort.g_fail,
        np.ascontiguousarray(beta, dtype=np.float64),
        first_moment,
    )
    return RiskSets(weight=weight, s0=s0, s1=s1, neg_loglik=float(neg_loglik))


def score_and_information(
    cohort: SortedCohort, sets: RiskSets
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """crr's gradient of the objective (minus the score) and its Hessian (the information)."""
    return _gradient_and_information(
        cohort.x,
        cohort.status,
        cohort.g_before,
        cohort.fail_rank,
        cohort.fail_count,
        cohort.g_fail,
        sets.weight,
        sets.s0,
        sets.s1,
    )


def score_residuals(cohort: SortedCohort, sets: RiskSets) -> NDArray[np.float64]:
    """Per-subject influence terms of the estimating equation, as crr's sandwich uses them.

    Each row is the subject's score residual (its own failure term minus its share of every risk
    set it belongs to) plus the correction for estimating G (an integral against the subject's
    censoring martingale). The sandwich "meat" is the sum of their outer products.
    """
    return _influence_terms(
        cohort.time,
        cohort.x,
        cohort.status,
        cohort.g_before,
        cohort.fail_rank,
        cohort.fail_count,
        cohort.g_fail,
        sets.weight,
        sets.s0,
        sets.s1,
    )


@compiled
def _sorted_centred(
    x: NDArray[np.float64], order: NDArray[np.int64], mean: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The rows of ``x`` in ``order``, column means removed: one gather instead of a copy per step."""
    n, p = x.shape
    sorted_x = np.empty((n, p))
    for i in range(n):
        row = order[i]
        for k in range(p):
            sorted_x[i, k] = x[row, k] - mean[k]
    return sorted_x


@compiled
def _censoring_and_ranks(
    time: NDArray[np.float64], status: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """(G just before each subject's time, failure rank per subject, failures and G per failure time).

    ``time`` sorted. G after each distinct time is the Kaplan–Meier product of (1 - censored / at
    risk); G before T_i is its value at the last distinct time <= T_i (1 - 100 eps), 1 before any.
    """
    n = time.size
    distinct = np.empty(n)
    g_after = np.empty(n)
    times = 0
    g = 1.0
    start = 0
    while start < n:
        stop = start
        censored = 0
        while stop < n and time[stop] == time[start]:
            if status[stop] == _CENSORED:
                censored += 1
            stop += 1
        g *= 1.0 - censored / (n - start)
        distinct[times] = time[start]
        g_after[times] = g
        times += 1
        start = stop
    g_before = np.empty(n)
    passed = 0  # distinct times <= the current threshold (thresholds rise with the sorted times)
    for i in range(n):
        threshold = time[i] * _BEFORE
        while passed < times and distinct[passed] <= threshold:
            passed += 1
        g_before[i] = g_after[passed - 1] if passed > 0 else 1.0
    fail_rank = np.empty(n, dtype=np.int64)
    fail_count = np.empty(n)
    g_fail = np.empty(n)
    failures = 0
    start = 0
    while start < n:
        stop = start
        deaths = 0
        while stop < n and time[stop] == time[start]:
            if status[stop] == _FAILED:
                deaths += 1
            stop += 1
        if deaths > 0:
            fail_count[failures] = deaths
            g_fail[failures] = g_before[start]
            failures += 1
        for i in range(start, stop):
            fail_rank[i] = failures
        start = stop
    return g_before, fail_rank, fail_count[:failures].copy(), g_fail[:failures].copy()


@compiled
def _risk_set_sums(
    x: NDArray[np.float64],
    status: NDArray[np.int64],
    g_before: NDArray[np.float64],
    fail_rank: NDArray[np.int64],
    fail_count: NDArray[np.float64],
    g_fail: NDArray[np.float64],
    beta: NDArray[np.float64],
    first_moment: bool,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], float]:
    """(weights, S0, S1, minus the log pseudo-likelihood) at ``beta``: a forward and a backward sweep.

    S_f = sum over rank_j > f (T_j >= t_f) of the at-risk terms + G(t_f-) times the sum over
    rank_j <= f (T_j < t_f) of the competing terms w_j / G(T_j-).
    """
    n, p = x.shape
    failures = fail_count.size
    eta = np.empty(n)
    shift = -np.inf
    for i in range(n):
        value = 0.0
        for k in range(p):
            value += x[i, k] * beta[k]
        eta[i] = value
        shift = max(shift, value)
    width = p if first_moment else 0
    weight = np.empty(n)
    s0 = np.empty(failures)
    s1 = np.empty((failures, width))
    # Forward: G(t_f-) times the competing terms of the subjects before t_f (rank <= f).
    head = 0.0
    head1 = np.zeros(width)
    failed_eta = 0.0
    i = 0
    for f in range(failures + 1):
        while i < n and fail_rank[i] <= f:
            w = np.exp(eta[i] - shift)
            weight[i] = w
            if status[i] == _COMPETING:
                competing = w / g_before[i]
                head += competing
                for k in range(width):
                    head1[k] += competing * x[i, k]
            elif status[i] == _FAILED:
                failed_eta += eta[i] - shift
            i += 1
        if f < failures:
            s0[f] = g_fail[f] * head
            for k in range(width):
                s1[f, k] = g_fail[f] * head1[k]
    # Backward: the subjects still followed at t_f (rank > f).
    tail = 0.0
    tail1 = np.zeros(width)
    log_sum = 0.0
    i = n - 1
    for f in range(failures - 1, -1, -1):
        while i >= 0 and fail_rank[i] > f:
            w = weight[i]
            tail += w
            for k in range(width):
                tail1[k] += w * x[i, k]
            i -= 1
        s0[f] += tail
        for k in range(width):
            s1[f, k] += tail1[k]
        log_sum += fail_count[f] * np.log(s0[f])
    return weight, s0, s1, -failed_eta + log_sum


@compiled
def _gradient_and_information(
    x: NDArray[np.float64],
    status: NDArray[np.int64],
    g_before: NDArray[np.float64],
    fail_rank: NDArray[np.int64],
    fail_count: NDArray[np.float64],
    g_fail: NDArray[np.float64],
    weight: NDArray[np.float64],
    s0: NDArray[np.float64],
    s1: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """crr's gradient and Hessian of the objective from the risk-set sums.

    The information's second-moment term swaps the double sum: sum_f d_f/S0_f sum_j w_jf x_j x_j' =
    sum_j w_j c_j x_j x_j', with c_j = the cumulative hazard at T_j plus, for a competing failure,
    the G-weighted hazard of the failure times after T_j divided by G(T_j-).
    """
    n, p = x.shape
    failures = fail_count.size
    mean = np.empty(p)
    gradient = np.zeros(p)
    information = np.zeros((p, p))
    cumulative = np.zeros(failures + 1)
    tail_g = np.zeros(failures + 1)
    for f in range(failures):
        hazard = fail_count[f] / s0[f]
        cumulative[f + 1] = cumulative[f] + hazard
        for k in range(p):
            mean[k] = s1[f, k] / s0[f]
            gradient[k] += fail_count[f] * mean[k]
        for k in range(p):
            for m in range(k + 1):
                information[k, m] -= fail_count[f] * mean[k] * mean[m]
    for f in range(failures - 1, -1, -1):
        tail_g[f] = tail_g[f + 1] + fail_count[f] / s0[f] * g_fail[f]
    for i in range(n):
        rank = fail_rank[i]
        c = cumulative[rank]
        if status[i] == _COMPETING:
            c += tail_g[rank] / g_before[i]
        elif status[i] == _FAILED:
            for k in range(p):
                gradient[k] -= x[i, k]
        wc = weight[i] * c
        for k in range(p):
            term = wc * x[i, k]
            for m in range(k + 1):
                information[k, m] += term * x[i, m]
    for k in range(p):
        for m in range(k):
            information[m, k] = information[k, m]
    return gradient, information


@compiled
def _influence_terms(
    time: NDArray[np.float64],
    x: NDArray[np.float64],
    status: NDArray[np.int64],
    g_before: NDArray[np.float64],
    fail_rank: NDArray[np.int64],
    fail_count: NDArray[np.float64],
    g_fail: NDArray[np.float64],
    weight: NDArray[np.float64],
    s0: NDArray[np.float64],
    s1: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Score residual plus censoring correction per subject (rows of the sandwich's meat).

    Residual: the subject's own failure term x_i - xbar(T_i) minus w_i times its compensator, the
    integral of (x_i - xbar) dLambda over its time in the risk set (to T_i, and for a competing
    failure on to the last failure time, weighted G(t-)/G(T_i-)). Correction psi_i = the integral of
    q(u) / Y(u) against subject i's censoring martingale dM^c_i(u), where q(u) = the sum over failure
    times t >= u of G(t-) d(t)/S0(t) times the sum over competing failures before u of
    w_j (x_j - xbar(t)) / G(T_j-), and Y(u) the number followed at u.
    """
    n, p = x.shape
    failures = fail_count.size
    cum_hazard = np.zeros(failures + 1)
    cum_mean = np.zeros((failures + 1, p))
    for f in range(failures):
        hazard = fail_count[f] / s0[f]
        cum_hazard[f + 1] = cum_hazard[f] + hazard
        for k in range(p):
            cum_mean[f + 1, k] = cum_mean[f, k] + hazard * (s1[f, k] / s0[f])
    tail_hazard = np.zeros(failures + 1)
    tail_mean = np.zeros((failures + 1, p))
    for f in range(failures - 1, -1, -1):
        g_hazard = fail_count[f] / s0[f] * g_fail[f]
        tail_hazard[f] = tail_hazard[f + 1] + g_hazard
        for k in range(p):
            tail_mean[f, k] = tail_mean[f + 1, k] + g_hazard * (s1[f, k] / s0[f])
    residual = np.empty((n, p))
    for i in range(n):
        rank = fail_rank[i]
        inverse_g = 1.0 / g_before[i] if status[i] == _COMPETING else 0.0
        own = max(rank - 1, 0)
        for k in range(p):
            compensator = (x[i, k] * cum_hazard[rank] - cum_mean[rank, k]) + inverse_g * (
                x[i, k] * tail_hazard[rank] - tail_mean[rank, k]
            )
            residual[i, k] = -weight[i] * compensator
            if status[i] == _FAILED:
                residual[i, k] += x[i, k] - s1[own, k] / s0[own]
    # The censoring correction, one distinct time u at a time: e0, e1 sum the competing terms before u.
    e0 = 0.0
    e1 = np.zeros(p)
    q = np.empty(p)
    cumulated = np.zeros(p)
    start = 0
    while start < n:
        stop = start
        censored = 0
        while stop < n and time[stop] == time[start]:
            if status[stop] == _CENSORED:
                censored += 1
            stop += 1
        at_risk = float(n - start)
        first = fail_rank[start - 1] if start > 0 else 0  # failure times before u
        for k in range(p):
            q[k] = e1[k] * tail_hazard[first] - e0 * tail_mean[first, k]
            if censored > 0:
                cumulated[k] += q[k] * (censored / at_risk**2)
        for i in range(start, stop):
            for k in range(p):
                correction = -cumulated[k]
                if status[i] == _CENSORED:
                    correction += q[k] / at_risk
                residual[i, k] += correction
        for i in range(start, stop):
            if status[i] == _COMPETING:
                competing = weight[i] / g_before[i]
                e0 += competing
                for k in range(p):
                    e1[k] += competing * x[i, k]
        start = stop
    return residual
