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
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as scipy_stats

from remission.stats._cause_codes import as_cause_codes, cause_columns, observed_causes
from remission.stats._gray_score import cause_score
from remission.stats._risk_table import count_by_time
from remission.stats.inputs import as_groups, as_times, refuse
from remission.stats.results import Result, Table, json_number

# R's qr() declares a column dependent when less than this fraction of its norm is left after
# the previous columns; cuminc then reports no statistic.
_RANK_TOLERANCE = 1e-7


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
    strata_counts: Sequence[NDArray[np.int64]],
    causes: tuple[int, ...],
    ng: int,
    rho: float,
) -> tuple[GrayTestRow, ...]:
    """One test row per cause from each stratum's counts per (distinct time, group, column).

    Each table has shape (times, ``ng``, 1 + causes): column 0 counts censorings, column 1 + j the
    events of ``causes[j]``, times increasing. Scores and variances are summed over the strata.
    """
    df = ng - 1
    scores = np.zeros((len(causes), df))
    variances = np.zeros((len(causes), df, df))
    for counts in strata_counts:
        for j in range(len(causes)):
            score, variance = cause_score(counts, j, rho)
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
) -> NDArray[np.int64]:
    """Counts per (distinct time, group, column) of one stratum, shape (times, ng, 1 + causes)."""
    width = causes + 1
    table = count_by_time(time, group * width + column, ng * width)
    return table.counts.reshape(table.time.size, ng, width)
