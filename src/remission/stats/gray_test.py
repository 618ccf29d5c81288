"""Gray's K-sample test for equality of cumulative incidence curves, as ``cmprsk::cuminc``'s ``$Tests``.

For each cause the score compares, group by group, the observed events with those expected under a
common subdistribution hazard, weighted by (1 - F(t-))^rho (F the pooled cumulative incidence); its
variance is Gray's (1988) estimate. Stratified tests add the scores and variances of the strata.
The statistic s' V^-1 s is referred to chi-square with (groups - 1) degrees of freedom.

Reference: Gray RJ (1988). A class of K-sample tests for comparing the cumulative incidence of a
competing risk. Ann. Stat. 16:1141–1154; R package ``cmprsk``, ``cuminc(..., strata, rho)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as scipy_stats

from remission.stats._cause_codes import as_cause_codes, cause_columns, observed_causes
from remission.stats._risk_table import count_by_time
from remission.stats.inputs import as_groups, as_times, refuse
from remission.stats.results import Result, Table, json_number

# R's qr() declares a column dependent when less than this fraction of its norm is left after
# the previous columns; cuminc then reports no statistic.
_RANK_TOLERANCE = 1e-7
# Cells per block of the (groups x groups x times) arrays: small enough to stay in the CPU cache.
_BLOCK_CELLS = 1 << 17
_Number = TypeVar("_Number", np.float64, np.int64)


@dataclass(frozen=True)
class GrayTestRow:
    """Gray's test for one cause; ``statistic`` and ``p_value`` are NaN when the variance is singular."""

    cause: int
    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True)
class GrayTestResult(Result):
    """Gray's test per cause, comparing ``groups`` (within ``strata`` strata) with weight power ``rho``."""

    rows: tuple[GrayTestRow, ...]
    groups: tuple[str, ...]
    rho: float
    strata: int

    def test_rows(self) -> list[dict[str, Any]]:
        """``[{"cause", "statistic", "df", "p_value"}]``; ``None`` where no statistic exists."""
        return [
            {
                "cause": row.cause,
                "statistic": json_number(row.statistic),
                "df": row.df,
                "p_value": json_number(row.p_value),
            }
            for row in self.rows
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "groups": list(self.groups),
            "rho": self.rho,
            "strata": self.strata,
            "tests": self.test_rows(),
        }

    def tables(self) -> Sequence[Table]:
        stratified = f", {self.strata} strata" if self.strata > 1 else ""
        return (
            Table(
                title=f"Gray's test ({', '.join(self.groups)}; rho = {self.rho:g}{stratified})",
                columns=("cause", "statistic", "df", "p"),
                rows=tuple((row.cause, row.statistic, row.df, row.p_value) for row in self.rows),
                note="NA: the score variance is singular (e.g. a group with nobody at risk at any event).",
            ),
        )


def gray_test(
    time: ArrayLike,
    cause: ArrayLike,
    group: ArrayLike,
    *,
    strata: ArrayLike | None = None,
    rho: float = 0.0,
) -> GrayTestResult:
    """Gray's test of equal cumulative incidence across ``group``, one row per observed cause.

    ``time`` >= 0; ``cause`` 0 = censored, 1..k = cause; ``group`` labels (at least two groups);
    ``strata`` optional labels, tests are summed over strata; ``rho`` the power of the weight
    (1 - F(t-))^rho. Matches ``cmprsk::cuminc(time, cause, group, strata, rho)$Tests``, except that
    a singular variance gives NaN (R prints its sentinel statistic -1 with p = 1).
    """
    times = as_times(time, "time")
    codes = as_cause_codes(cause, times.size, "cause")
    groups = as_groups(group, times.size, "group")
    if groups.count < 2:
        raise refuse("group", "needs at least two groups to compare")
    layers = as_groups(strata, times.size, "strata")
    try:
        power = float(rho)
    except (TypeError, ValueError):
        raise refuse("rho", "must be a number") from None
    if not np.isfinite(power):
        raise refuse("rho", "must be finite")

    causes = observed_causes(codes, "cause")
    # Column 0 counts censorings, column 1 + j the events of causes[j].
    column = cause_columns(codes, causes)
    strata_counts = []
    for layer in range(layers.count):
        member = layers.codes == layer
        strata_counts.append(
            _stratum_counts(times[member], column[member], groups.codes[member], groups.count, len(causes))
        )
    rows = gray_rows(strata_counts, causes, groups.count, power)
    return GrayTestResult(rows=rows, groups=groups.labels, rho=power, strata=layers.count)


def gray_rows(
    strata_counts: Sequence[tuple[NDArray[np.float64], NDArray[np.int64]]],
    causes: tuple[int, ...],
    ng: int,
    rho: float,
) -> tuple[GrayTestRow, ...]:
    """One test row per cause from each stratum's (at risk, events) at its event times.

    ``strata_counts`` holds, per stratum, what :func:`risk_and_events` returns; scores and variances
    are summed over the strata.
    """
    df = ng - 1
    scores = np.zeros((len(causes), df))
    variances = np.zeros((len(causes), df, df))
    for at_risk, events in strata_counts:
        if at_risk.shape[0] == 0:
            continue  # no event in this stratum: it adds nothing
        stratum = _Stratum.of(at_risk, events)
        for j in range(len(causes)):
            score, variance = _stratum_cause_score(stratum, j, rho)
            scores[j] += score
            variances[j] += variance
    rows = []
    for cause_code, score, variance in zip(causes, scores, variances, strict=True):
        statistic = _quadratic_form(score, variance)
        p_value = float(scipy_stats.chi2.sf(statistic, df)) if np.isfinite(statistic) else np.nan
        rows.append(GrayTestRow(cause=cause_code, statistic=statistic, df=df, p_value=p_value))
    return tuple(rows)


def _quadratic_form(score: NDArray[np.float64], variance: NDArray[np.float64]) -> float:
    """s' V^-1 s, or NaN when V is rank deficient by R's ``qr`` criterion."""
    r = np.linalg.qr(variance, mode="r")
    norms = np.linalg.norm(variance, axis=0)
    if np.any(np.abs(np.diag(r)) <= _RANK_TOLERANCE * norms) or np.any(norms == 0):
        return float("nan")
    return float(score @ np.linalg.solve(variance, score))


def _stratum_counts(
    time: NDArray[np.float64], column: NDArray[np.int64], group: NDArray[np.int64], ng: int, causes: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Number at risk per group, shape (times, ng), and events per group and cause, shape
    (times, ng, causes), at the stratum's distinct times with at least one event of any cause.
    """
    if time.size == 0:
        return np.zeros((0, ng)), np.zeros((0, ng, causes), dtype=np.int64)
    width = causes + 1
    table = count_by_time(time, group * width + column, ng * width)
    return risk_and_events(table.counts.reshape(table.time.size, ng, width))


def risk_and_events(
    counts: NDArray[np.int64],
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """From counts per (distinct time, group, column) (column 0 censored, 1 + j cause j): the number
    at risk per group, shape (times, ng), and the events, shape (times, ng, causes), at the times
    with at least one event of any cause.
    """
    size, ng, width = counts.shape
    flat = counts.reshape(size, ng * width)
    # Column sums in order (no reduction over the short axes): exits per group, events per time.
    leaving = _rows_sum(counts.transpose(2, 1, 0)).T  # (times, ng)
    any_event = np.zeros(size, dtype=np.int64)
    for column in range(ng * width):
        if column % width:
            any_event += flat[:, column]
    at_risk = np.cumsum(leaving[::-1], axis=0)[::-1].astype(np.float64)
    # Times with only censorings change nothing but the risk sets, which are already counted.
    keep = np.flatnonzero(any_event)
    return at_risk[keep], counts[keep, :, 1:]


@dataclass(frozen=True, eq=False)
class _Stratum:
    """What every cause's score shares within one stratum, laid out (group, time): time contiguous.

    ``km`` is the group-wise event-free Kaplan–Meier estimate just after each event time and
    ``km_before`` just before it; ``weight`` is Gray's R_r / S_r(t-) (0 where nobody is at risk).
    """

    at_risk: NDArray[np.float64]
    events: NDArray[np.float64]  # (causes, groups, times)
    d_all: NDArray[np.float64]
    live: NDArray[np.bool_]
    km: NDArray[np.float64]
    km_before: NDArray[np.float64]
    weight: NDArray[np.float64]
    total: NDArray[np.float64]

    @classmethod
    def of(cls, at_risk: NDArray[np.float64], events: NDArray[np.int64]) -> _Stratum:
        r = np.ascontiguousarray(at_risk.T)
        by_cause = np.ascontiguousarray(events.transpose(2, 1, 0), dtype=np.float64)
        d_all = _rows_sum(by_cause)
        live = r > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            km = np.cumprod(np.where(live, (r - d_all) / r, 1.0), axis=1, dtype=np.float64)
            km_before = np.empty_like(km)
            km_before[:, 0] = 1.0
            km_before[:, 1:] = km[:, :-1]
            weight = np.where(live, r / km_before, 0.0).astype(np.float64, copy=False)
        return cls(r, by_cause, d_all, live, km, km_before, weight, _rows_sum(weight))


def _rows_sum(values: NDArray[_Number]) -> NDArray[_Number]:
    """Sum over the first axis by adding rows in order (no slow reduction over a short axis)."""
    total: NDArray[_Number] = values[0].copy()
    for row in values[1:]:
        total += row
    return total


def _cause_score(
    at_risk: NDArray[np.float64], events: NDArray[np.int64], j: int, rho: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Score (first ng - 1 groups) and its variance for cause ``j`` within one stratum."""
    ng = at_risk.shape[1]
    if at_risk.shape[0] == 0:
        return np.zeros(ng - 1), np.zeros((ng - 1, ng - 1))
    return _stratum_cause_score(_Stratum.of(at_risk, events), j, rho)


def _stratum_cause_score(
    stratum: _Stratum, j: int, rho: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Score and variance of cause ``j``; arrays are (group, time) as in :class:`_Stratum`.

    Only the times with an event of cause ``j`` move the score and the running sum c(t) below;
    at the other times only the other causes' variance term (gamma) is non-zero, and c(t) is
    constant there, so those terms are added to the preceding time of cause ``j``. The work per
    cause is then proportional to the times of that cause and the other causes' events.
    """
    ng = stratum.at_risk.shape[0]
    ng1 = ng - 1
    d1_every = stratum.events[j]
    nd1_every = _rows_sum(d1_every)
    has_cause = nd1_every > 0
    times = np.flatnonzero(has_cause)
    if times.size == 0:
        return np.zeros(ng1), np.zeros((ng1, ng1))
    r = stratum.at_risk[:, times]
    live = stratum.live[:, times]
    km = stratum.km[:, times]
    km_before = stratum.km_before[:, times]
    weight = stratum.weight[:, times]
    total = stratum.total[times]
    d1 = d1_every[:, times]
    nd1 = nd1_every[times]

    with np.errstate(divide="ignore", invalid="ignore"):
        # Group-wise cumulative incidence of the cause, just after and just before each time.
        own = np.cumsum(np.where(live, km_before * d1 / r, 0.0), axis=1)
        own_before = np.empty_like(own)
        own_before[:, 0] = 0.0
        own_before[:, 1:] = own[:, :-1]
        total_q = _rows_sum(np.where(live, r * (1.0 - own_before) / km_before, 0.0))
        pooled = np.cumsum(nd1 / total)
        pooled_before = np.concatenate(([0.0], pooled[:-1]))
        fb = (1.0 - pooled_before) ** rho

        expected = np.where(live, r * (1.0 - own_before) / (km_before * total_q), 0.0)
        score = (fb * (d1 - nd1 * expected))[:ng1].sum(axis=1)

        # Variance terms of the cause's own events (t3, t4), at its times.
        t4 = np.where(km > 0, 1.0 - (1.0 - pooled) / km, 1.0)
        ties1 = np.where(nd1 > 1, 1.0 - (nd1 - 1.0) / (total * km_before - 1.0), 1.0)
        t3 = np.where(live, ties1 * km_before * nd1 / (total * r), 0.0)
        c_step = np.nan_to_num(nd1 / (total * (1.0 - pooled_before)))
        share = weight / total
    alpha = np.nan_to_num(t3)
    beta = alpha * t4
    gamma = alpha * t4 * t4
    v3 = gamma.sum(axis=1)

    # The other causes' term (t3b, t4b) where a group has such an event while its KM is positive;
    # F(t) there is the pooled incidence at the last time of cause j at or before t.
    group_of, time_of = np.nonzero((stratum.d_all > d1_every) & (stratum.km > 0))
    if time_of.size:
        d2 = stratum.d_all[group_of, time_of] - d1_every[group_of, time_of]
        r2 = stratum.at_risk[group_of, time_of]
        last = (np.cumsum(has_cause) - 1)[time_of]  # index into ``times``; -1 before the first
        pooled_at = np.where(last >= 0, pooled[np.maximum(last, 0)], 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ties2 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (r2 - 1.0), 1.0)
            t3b = ties2 * stratum.km_before[group_of, time_of] ** 2 * d2 / r2**2
            t4b = (1.0 - pooled_at) / stratum.km[group_of, time_of]
        other = np.nan_to_num(t3b) * t4b * t4b
        v3 = v3 + np.bincount(group_of, weights=other, minlength=ng)
        # c(t) is 0 before the first time of cause j, so those terms add nothing but to v3.
        after = last >= 0
        cell = group_of[after] * times.size + last[after]
        gamma = gamma + np.bincount(cell, weights=other[after], minlength=gamma.size).reshape(gamma.shape)

    # With a(t) = fb (diag(w) - w w' / total) and c(t) its running sum weighted by c_step, Gray's
    # variance is sum_t sum_k [alpha a a' - beta (a c' + c a') + gamma c c'] plus end terms in the
    # final c. Arrays are (group i, group k, time), so the running sums are along contiguous time
    # and the sums over k and time are matrix products; blocks of times bound the memory.
    variance = np.zeros((ng1, ng1))
    v2 = np.zeros((ng1, ng))
    carried = np.zeros((ng1, ng))
    diagonal = np.arange(ng1)
    step = max(1, _BLOCK_CELLS // (ng * ng))
    for start in range(0, times.size, step):
        part = slice(start, start + step)
        w_rows = weight[:ng1, part]
        a = -(w_rows[:, None, :] * share[None, :, part])
        a[diagonal, diagonal, :] += w_rows
        a *= fb[part]
        c = np.cumsum(a * c_step[part], axis=2)
        c += carried[:, :, None]
        carried = c[:, :, -1].copy()
        a_beta = a * beta[:, part]
        c_gamma = c * gamma[:, part]
        flat_a, flat_c = a.reshape(ng1, -1), c.reshape(ng1, -1)
        cross = a_beta.reshape(ng1, -1) @ flat_c.T
        variance += (a * alpha[:, part]).reshape(ng1, -1) @ flat_a.T - cross - cross.T
        variance += c_gamma.reshape(ng1, -1) @ flat_c.T
        v2 += a_beta.sum(axis=2) - c_gamma.sum(axis=2)
    variance += (carried * v3) @ carried.T + carried @ v2.T + v2 @ carried.T
    return score, variance
