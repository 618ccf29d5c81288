"""The G-rho family of k-sample tests (log-rank, Peto–Peto), optionally stratified, as R's ``survdiff``.

At each distinct event time ``t`` of a stratum, with ``n`` at risk and ``d`` events in total and
``n_j`` at risk, ``d_j`` events in group ``j``, and the weight ``w = S(t-)^rho`` (``S`` the
Kaplan–Meier estimate of the pooled stratum, just before ``t``):

* observed ``O_j = Σ w·d_j`` and expected ``E_j = Σ w·d·n_j/n`` (weighted for ``rho != 0``, as R);
* variance ``V_jk = Σ w²·d·(n-d)/(n-1)·(n_j/n)·(δ_jk - n_k/n)`` (the term is 0 when ``n = 1``).

Sums run over event times and over strata. Groups whose expected count is 0 (never at risk at an
event time) are left out of the test; the statistic is ``(O-E)' V⁻¹ (O-E)`` over the remaining
groups minus the first, chi-square with (remaining groups - 1) degrees of freedom.

References: Harrington & Fleming (1982), Biometrika 69:553–566; R ``survival::survdiff``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as scipy_stats

from remission.stats._risk_table import risk_table
from remission.stats.inputs import Groups, as_events, as_groups, as_times, refuse
from remission.stats.results import Result, Table, json_number


@dataclass(frozen=True, eq=False)
class LogrankResult(Result):
    """Observed and expected (weighted) events per group, their variance matrix and the chi-square test.

    ``groups`` are in R's factor order; ``observed``, ``expected`` and ``n`` have one entry per group,
    ``variance`` is ``groups × groups``. ``strata`` names the strata (empty when unstratified).
    """

    groups: tuple[str, ...]
    n: NDArray[np.int64]
    observed: NDArray[np.float64]
    expected: NDArray[np.float64]
    variance: NDArray[np.float64]
    statistic: float
    df: int
    p_value: float
    rho: float = 0.0
    strata: tuple[str, ...] = ()

    @property
    def test_name(self) -> str:
        base = (
            "Log-rank" if self.rho == 0 else ("Peto–Peto" if self.rho == 1 else f"G-rho (rho = {self.rho:g})")
        )
        return f"{base} test" + (f", stratified by {len(self.strata)} strata" if self.strata else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "statistic": json_number(self.statistic),
            "df": self.df,
            "p_value": json_number(self.p_value),
            "rho": self.rho,
            "strata": list(self.strata),
            "groups": [
                {"group": label, "n": int(n), "observed": json_number(o), "expected": json_number(e)}
                for label, n, o, e in zip(self.groups, self.n, self.observed, self.expected, strict=True)
            ],
            "variance": [[json_number(value) for value in row] for row in self.variance],
        }

    def tables(self) -> Sequence[Table]:
        diagonal = np.diag(self.variance)
        with np.errstate(divide="ignore", invalid="ignore"):
            over_e = (self.observed - self.expected) ** 2 / self.expected
            over_v = (self.observed - self.expected) ** 2 / diagonal
        rows = tuple(
            (label, int(n), float(o), float(e), float(a), float(b))
            for label, n, o, e, a, b in zip(
                self.groups, self.n, self.observed, self.expected, over_e, over_v, strict=True
            )
        )
        note = f"Chi-square = {self.statistic:.4g} on {self.df} df, p = {self.p_value:.4g}"
        return (
            Table(
                self.test_name,
                ("group", "N", "observed", "expected", "(O-E)^2/E", "(O-E)^2/V"),
                rows,
                note,
            ),
        )


def logrank_test(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike,
    *,
    strata: ArrayLike | None = None,
    rho: float = 0.0,
) -> LogrankResult:
    """Compare survival between groups with the G-rho test; matches R ``survdiff(..., rho = rho)``.

    ``time`` is follow-up (any unit), ``event`` 1 = event / 0 = censored, ``group`` one label per
    subject (at least two distinct labels), ``strata`` optional labels for a stratified test
    (``survdiff(Surv(time, event) ~ group + strata(s))``). ``rho = 0`` is the log-rank test,
    ``rho = 1`` the Peto–Peto modification of the Gehan–Wilcoxon test.
    """
    times = as_times(time, "time")
    events = as_events(event, times.size, "event")
    groups = as_groups(group, times.size, "group")
    if groups.count < 2:
        raise refuse("group", f"needs at least two groups to compare, got {list(groups.labels)}")
    layers = as_groups(strata, times.size, "strata")
    rho_value = _check_rho(rho)
    result = compare_groups(times, events, groups, layers, rho_value, strata_given=strata is not None)
    if result is None:
        raise refuse(
            "event",
            "no test is possible: fewer than two groups have subjects at risk at an event time",
        )
    return result


def compare_groups(
    time: NDArray[np.float64],
    event: NDArray[np.int64],
    groups: Groups,
    strata: Groups,
    rho: float,
    *,
    strata_given: bool = False,
) -> LogrankResult | None:
    """The G-rho test on already-checked arrays; ``None`` when fewer than two groups can be compared."""
    k = groups.count
    observed = np.zeros(k)
    expected = np.zeros(k)
    variance = np.zeros((k, k))
    for layer in range(strata.count):
        inside = strata.codes == layer
        table = risk_table(time[inside], event[inside], groups.codes[inside], k)
        o, e, v = grho_sums(table.n_risk, table.n_event, rho)
        observed += o
        expected += e
        variance += v
    return grho_test(
        groups.labels,
        np.bincount(groups.codes, minlength=k).astype(np.int64),
        observed,
        expected,
        variance,
        rho,
        strata.labels if strata_given else (),
    )


def grho_sums(
    n_risk: NDArray[np.int64], n_event: NDArray[np.int64], rho: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """One stratum's observed, expected and variance from counts per (event time, group).

    ``n_risk`` and ``n_event`` are ``(times, groups)`` arrays, times increasing (times without an
    event add nothing). Used by :func:`compare_groups` and by the partitioned estimator.
    """
    at_risk = n_risk.astype(np.float64)
    deaths = n_event.astype(np.float64)
    n = at_risk.sum(axis=1)
    d = deaths.sum(axis=1)
    if rho != 0.0:
        # Weight by the pooled Kaplan–Meier estimate just before each time (left-continuous).
        survival = np.cumprod(1.0 - d / n)
        weight = np.concatenate(([1.0], survival[:-1])) ** rho
    else:
        weight = np.ones_like(n)
    share = at_risk / n[:, None]
    observed = weight @ deaths
    expected = (weight * d) @ share
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(n > 1, weight**2 * d * (n - d) / (n - 1.0), 0.0)
    variance = np.diag(spread @ share) - (share * spread[:, None]).T @ share
    return observed, expected, variance


def grho_test(
    groups: tuple[str, ...],
    n: NDArray[np.int64],
    observed: NDArray[np.float64],
    expected: NDArray[np.float64],
    variance: NDArray[np.float64],
    rho: float,
    strata: tuple[str, ...],
) -> LogrankResult | None:
    """The chi-square test from the sums over strata; ``None`` when fewer than two groups can be compared.

    ``n`` counts the subjects per group, ``strata`` names the strata (empty when unstratified).
    """
    testable = np.flatnonzero(expected > 0)
    if testable.size < 2:
        return None
    kept = testable[1:]
    difference = (observed - expected)[kept]
    try:
        statistic = float(difference @ np.linalg.solve(variance[np.ix_(kept, kept)], difference))
    except np.linalg.LinAlgError:
        raise refuse(
            "group", "the variance matrix of the test is singular; groups cannot be compared"
        ) from None
    df = int(testable.size - 1)
    return LogrankResult(
        groups=groups,
        n=n,
        observed=observed,
        expected=expected,
        variance=variance,
        statistic=statistic,
        df=df,
        p_value=float(scipy_stats.chi2.sf(statistic, df)),
        rho=rho,
        strata=strata,
    )


def _check_rho(rho: float) -> float:
    try:
        value = float(rho)
    except (TypeError, ValueError):
        raise refuse("rho", f"must be a number, got {rho!r}") from None
    if not math.isfinite(value):
        raise refuse("rho", f"must be finite, got {rho!r}")
    return value
