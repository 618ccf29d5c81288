"""Score and variance of Gray's test for one cause in one stratum: one compiled pass over the times.

The input is the stratum's table of counts per (distinct time, group, column), column 0 censored and
1 + j the events of cause j. Walking the times in order, the pass keeps per group the number at risk,
the event-free Kaplan–Meier estimate and the cause's own cumulative incidence, and the pooled
incidence of the cause; at each time of the cause it adds the score term and moves Gray's running
sum c(t) of a(t) = (1 - F(t-))^rho (diag(w) - w w' / sum(w)), w the weights R_r / S_r(t-); the
variance is sum_t sum_k [alpha a a' - beta (a c' + c a') + gamma c c'] plus end terms in the final
c, where the other causes' events add to gamma (and to the end terms) at the time they happen.
Work is proportional to times × groups², memory to groups².

Reference: Gray RJ (1988). Ann. Stat. 16:1141–1154; R package ``cmprsk``, routine ``crstm``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from remission.stats._compiled import compiled

_LARGEST = float(np.finfo(np.float64).max)


def cause_score(
    counts: NDArray[np.int64], j: int, rho: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Score (the first ``groups - 1`` groups) and its variance for cause ``j`` within one stratum.

    ``counts`` has shape (times, groups, 1 + causes) with the times increasing; rows with only
    censorings are allowed (they shrink the risk sets and add nothing else).
    """
    return _score_pass(np.ascontiguousarray(counts, dtype=np.int64), int(j), float(rho))


@compiled
def _score_pass(
    counts: NDArray[np.int64], j: int, rho: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    size, ng, width = counts.shape
    ng1 = ng - 1
    at_risk = np.zeros(ng)
    for t in range(size):
        for g in range(ng):
            for column in range(width):
                at_risk[g] += counts[t, g, column]
    km = np.ones(ng)
    km_before = np.ones(ng)
    own = np.zeros(ng)  # the group's cumulative incidence of the cause, just before the time
    weight = np.zeros(ng)
    d_all = np.zeros(ng)
    d1 = np.zeros(ng)
    a = np.zeros((ng1, ng))
    c = np.zeros((ng1, ng))
    v2 = np.zeros((ng1, ng))
    v3 = np.zeros(ng)
    alpha = np.zeros(ng)
    beta = np.zeros(ng)
    gamma = np.zeros(ng)
    score = np.zeros(ng1)
    variance = np.zeros((ng1, ng1))
    pooled = 0.0
    for t in range(size):
        nd_all = 0.0
        nd1 = 0.0
        for g in range(ng):
            events = 0.0
            for column in range(1, width):
                events += counts[t, g, column]
            d_all[g] = events
            d1[g] = counts[t, g, 1 + j]
            nd_all += events
            nd1 += d1[g]
        if nd_all > 0:
            total = 0.0
            for g in range(ng):
                r = at_risk[g]
                km_before[g] = km[g]
                if r > 0:
                    km[g] = km[g] * ((r - d_all[g]) / r)
                    weight[g] = r / km_before[g]
                else:
                    weight[g] = 0.0
                total += weight[g]
            if nd1 > 0:
                pooled_before = pooled
                total_q = 0.0
                for g in range(ng):
                    if at_risk[g] > 0:
                        total_q += at_risk[g] * (1.0 - own[g]) / km_before[g]
                pooled = pooled + nd1 / total
                fb = (1.0 - pooled_before) ** rho
                for g in range(ng1):
                    r = at_risk[g]
                    expected = r * (1.0 - own[g]) / (km_before[g] * total_q) if r > 0 else 0.0
                    score[g] += fb * (d1[g] - nd1 * expected)
                for g in range(ng):
                    if at_risk[g] > 0:
                        own[g] += km_before[g] * d1[g] / at_risk[g]
                c_step = nd1 / (total * (1.0 - pooled_before))
                if np.isnan(c_step):
                    c_step = 0.0
                elif np.isinf(c_step):
                    c_step = _LARGEST if c_step > 0 else -_LARGEST
                for k in range(ng):
                    r = at_risk[k]
                    t4 = 1.0 - (1.0 - pooled) / km[k] if km[k] > 0 else 1.0
                    ties = 1.0 - (nd1 - 1.0) / (total * km_before[k] - 1.0) if nd1 > 1 else 1.0
                    t3 = ties * km_before[k] * nd1 / (total * r) if r > 0 else 0.0
                    if np.isnan(t3):
                        t3 = 0.0
                    elif np.isinf(t3):
                        t3 = _LARGEST if t3 > 0 else -_LARGEST
                    alpha[k] = t3
                    beta[k] = t3 * t4
                    gamma[k] = t3 * t4 * t4
                    v3[k] += gamma[k]
                    share = weight[k] / total
                    for i in range(ng1):
                        value = -(weight[i] * share)
                        if i == k:
                            value += weight[i]
                        a[i, k] = value * fb
                        c[i, k] += a[i, k] * c_step
                for i in range(ng1):
                    for m in range(ng1):
                        term = 0.0
                        for k in range(ng):
                            term += (
                                alpha[k] * a[i, k] * a[m, k]
                                - beta[k] * (a[i, k] * c[m, k] + c[i, k] * a[m, k])
                                + gamma[k] * c[i, k] * c[m, k]
                            )
                        variance[i, m] += term
                    for k in range(ng):
                        v2[i, k] += beta[k] * a[i, k] - gamma[k] * c[i, k]
            # The other causes' events, where the group's event-free estimate is still positive;
            # F(t) there is the pooled incidence at the last time of the cause at or before t.
            for g in range(ng):
                d2 = d_all[g] - d1[g]
                if d2 > 0 and km[g] > 0:
                    r = at_risk[g]
                    ties = 1.0 - (d2 - 1.0) / (r - 1.0) if d2 > 1 else 1.0
                    t3b = ties * km_before[g] ** 2 * d2 / r**2
                    if np.isnan(t3b):
                        t3b = 0.0
                    t4b = (1.0 - pooled) / km[g]
                    other = t3b * t4b * t4b
                    v3[g] += other
                    for i in range(ng1):
                        for m in range(ng1):
                            variance[i, m] += other * c[i, g] * c[m, g]
                        v2[i, g] -= other * c[i, g]
        for g in range(ng):
            for column in range(width):
                at_risk[g] -= counts[t, g, column]
    for i in range(ng1):
        for m in range(ng1):
            term = 0.0
            for k in range(ng):
                term += c[i, k] * v3[k] * c[m, k] + c[i, k] * v2[m, k] + v2[i, k] * c[m, k]
            variance[i, m] += term
    return score, variance
