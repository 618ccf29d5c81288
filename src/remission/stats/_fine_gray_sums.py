"""Risk-set sums of the Fine–Gray model in linear time (one sort, cumulative sums).

At a failure time t of the cause of interest, the subdistribution risk set holds everyone still
followed (T_j >= t, weight 1) and everyone who failed earlier from another cause (weight
G(t-)/G(T_j-), G the Kaplan–Meier estimate of the censoring distribution). So every risk-set sum
splits into a reverse cumulative sum over T_j >= t plus G(t-) times a forward cumulative sum of
the competing-event terms divided by G(T_j-) over T_j < t. Sums over failure times that every
subject needs (its cumulative hazard, its score residual) are cumulative sums over failure times
evaluated at the subject's own time. G is evaluated as ``cmprsk::crr`` does: the step function at
T (1 - 100 eps), i.e. just before T.

Reference: Fine JP, Gray RJ (1999). A proportional hazards model for the subdistribution of a
competing risk. JASA 94:496–509 (estimating equation and sandwich variance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

_EPS = np.finfo(np.float64).eps


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
    fail_start: NDArray[np.intp]  # first sorted index of each distinct failure time
    fail_count: NDArray[np.float64]  # failures of interest at each distinct failure time
    fail_rank: NDArray[np.intp]  # per subject: number of distinct failure times <= its time
    failed: NDArray[np.bool_]
    competing: NDArray[np.bool_]

    @classmethod
    def of(cls, time: NDArray[np.float64], status: NDArray[np.int64], x: NDArray[np.float64]) -> SortedCohort:
        order = np.argsort(time, kind="stable")
        time, status, x = time[order], status[order], x[order]
        x = x - x.mean(axis=0)
        distinct, start = np.unique(time, return_index=True)
        censored = np.add.reduceat((status == 0).astype(np.float64), start)
        at_risk = time.size - start
        g_after = np.cumprod(1.0 - censored / at_risk)
        # crr evaluates G as a right-continuous step function at T (1 - 100 eps).
        position = np.searchsorted(distinct, time * (1.0 - 100.0 * _EPS), side="right") - 1
        g_before = np.where(position >= 0, g_after[np.maximum(position, 0)], 1.0)
        failed = status == 1
        fail_times, fail_count = np.unique(time[failed], return_counts=True)
        fail_start = np.searchsorted(time, fail_times, side="left")
        fail_rank = np.searchsorted(fail_times, time, side="right")
        return cls(
            time=time,
            status=status,
            x=x,
            g_before=g_before,
            fail_start=fail_start.astype(np.intp),
            fail_count=fail_count.astype(np.float64),
            fail_rank=fail_rank.astype(np.intp),
            failed=failed,
            competing=status == 2,
        )

    @property
    def g_fail(self) -> NDArray[np.float64]:
        """G just before each distinct failure time."""
        return self.g_before[self.fail_start]


@dataclass(frozen=True, eq=False)
class RiskSets:
    """Weighted risk-set sums at each distinct failure time for one coefficient vector.

    Weights are exp(x b - shift); the shift cancels in every ratio and is added back in the
    log pseudo-likelihood.
    """

    weight: NDArray[np.float64]  # exp(eta - shift) per subject
    s0: NDArray[np.float64]  # (failure times,)
    s1: NDArray[np.float64]  # (failure times, p)
    neg_loglik: float  # crr's objective: minus the log pseudo-likelihood

    @property
    def mean(self) -> NDArray[np.float64]:
        """Risk-set weighted covariate mean at each failure time."""
        return self.s1 / self.s0[:, None]


def risk_sets(cohort: SortedCohort, beta: NDArray[np.float64], *, first_moment: bool = True) -> RiskSets:
    """Risk-set sums S0 (and S1) at every distinct failure time, and the objective."""
    eta = cohort.x @ beta
    shift = float(np.max(eta))
    weight = np.exp(eta - shift)
    competing_weight = np.where(cohort.competing, weight / cohort.g_before, 0.0)
    s0 = _at_failures(cohort, weight, competing_weight)
    p = cohort.x.shape[1]
    s1 = np.zeros((s0.size, p))
    if first_moment:
        for j, column in enumerate(cohort.x.T):
            s1[:, j] = _at_failures(cohort, weight * column, competing_weight * column)
    with np.errstate(divide="ignore", invalid="ignore"):
        neg_loglik = float(-np.sum(eta[cohort.failed] - shift) + np.sum(cohort.fail_count * np.log(s0)))
    return RiskSets(weight=weight, s0=s0, s1=s1, neg_loglik=neg_loglik)


def _at_failures(
    cohort: SortedCohort, at_risk_terms: NDArray[np.float64], competing_terms: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Sum over T_j >= t of the first terms plus G(t-) times the sum over T_j < t of the second.

    Summed within each failure rank first (subjects between two failure times share their risk
    sets), then cumulated over the failure times: T_j >= t_f exactly when rank_j > f.
    """
    failures = cohort.fail_start.size
    rank = cohort.fail_rank
    per_rank = np.bincount(rank, weights=at_risk_terms, minlength=failures + 1)
    still = np.cumsum(per_rank[::-1])[::-1][1:]
    before = np.cumsum(np.bincount(rank, weights=competing_terms, minlength=failures + 1))[:failures]
    sums: NDArray[np.float64] = still + cohort.g_fail * before
    return sums


def score_and_information(
    cohort: SortedCohort, sets: RiskSets
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """crr's gradient of the objective (minus the score) and its Hessian (the information)."""
    mean = sets.mean
    gradient = -cohort.x[cohort.failed].sum(axis=0) + cohort.fail_count @ mean
    # Swap the double sum: sum_k d_k/S0_k sum_j w_jk x_j x_j' = sum_j c_j x_j x_j'.
    hazard = cohort.fail_count / sets.s0
    cumulative = np.concatenate(([0.0], np.cumsum(hazard)))
    tail_g = _tail(hazard * cohort.g_fail)
    c = cumulative[cohort.fail_rank] + np.where(
        cohort.competing, tail_g[cohort.fail_rank] / cohort.g_before, 0.0
    )
    weighted = cohort.x * (sets.weight * c)[:, None]
    information = weighted.T @ cohort.x - (mean * cohort.fail_count[:, None]).T @ mean
    return gradient, information


def score_residuals(cohort: SortedCohort, sets: RiskSets) -> NDArray[np.float64]:
    """Per-subject influence terms of the estimating equation, as crr's sandwich uses them.

    Each row is the subject's score residual (its own failure term minus its share of every risk
    set it belongs to) plus the correction for estimating G (an integral against the subject's
    censoring martingale). The sandwich "meat" is the sum of their outer products.
    """
    mean = sets.mean
    hazard = cohort.fail_count / sets.s0
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
    residual = -sets.weight[:, None] * compensator
    own_mean = mean[np.maximum(rank - 1, 0)]
    residual[cohort.failed] += x[cohort.failed] - own_mean[cohort.failed]
    return residual + _censoring_correction(cohort, sets, tail_hazard, tail_mean)


def _censoring_correction(
    cohort: SortedCohort,
    sets: RiskSets,
    tail_hazard: NDArray[np.float64],
    tail_mean: NDArray[np.float64],
) -> NDArray[np.float64]:
    """psi_i = integral of q(u) / Y(u) against subject i's censoring martingale dM^c_i(u).

    q(u) = sum over failure times t >= u of G(t-) d(t)/S0(t) times the sum over competing
    failures before u of w_j (x_j - xbar(t)) / G(T_j-); Y(u) the number followed at u.
    """
    x = cohort.x
    p = x.shape[1]
    distinct, start, counts = np.unique(cohort.time, return_index=True, return_counts=True)
    censored = np.add.reduceat((cohort.status == 0).astype(np.float64), start)
    at_risk = (cohort.time.size - start).astype(np.float64)
    competing_weight = np.where(cohort.competing, sets.weight / cohort.g_before, 0.0)
    e0 = np.concatenate(([0.0], np.cumsum(competing_weight)))[start]
    e1 = np.concatenate((np.zeros((1, p)), np.cumsum(competing_weight[:, None] * x, axis=0)))[start]
    # Failure times >= u: the first failure time not before u has rank searchsorted(left).
    first = np.searchsorted(cohort.time[cohort.fail_start], distinct, side="left")
    q = e1 * tail_hazard[first][:, None] - e0[:, None] * tail_mean[first]
    per_time = np.where(censored[:, None] > 0, q * (censored / at_risk**2)[:, None], 0.0)
    cumulated = np.cumsum(per_time, axis=0)
    subject_time = np.repeat(np.arange(distinct.size), counts)
    correction = -cumulated[subject_time]
    own = cohort.status == 0
    correction[own] += (q / at_risk[:, None])[subject_time[own]]
    return correction


def _tail(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """tail[r] = sum of values[r:], with tail[len] = 0 (sums over failure times after rank r)."""
    zero = np.zeros((1, *values.shape[1:]))
    return np.concatenate((np.cumsum(values[::-1], axis=0)[::-1], zero))
