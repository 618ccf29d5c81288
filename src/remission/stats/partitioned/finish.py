"""From merged per-time tables to the result objects the in-memory estimators return.

The formulas are the in-memory ones applied to the same per-time counts: where an in-memory
module finishes from per-time tables (cmprsk's curve and variance, Gray's score and variance,
Newton–Raphson) its function is called as is; Kaplan–Meier and the log-rank test repeat the few
lines that turn counts at risk and events into the curve and the test. Counts are integers, so the
risk sets are exact; the results equal the in-memory ones up to the rounding of sums taken in a
different order (Cox), well inside 1e-10.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats as scipy_stats

from remission.errors import FieldProblem, InputError
from remission.stats._newton import EPS, ITERATION_LIMIT, Cholesky, Evaluation, NewtonFit, newton_raphson
from remission.stats.confidence import check_conf, first_below_half, survival_limits
from remission.stats.cox import (
    INFINITE_TOLERANCE,
    LARGE_LINEAR_PREDICTOR,
    _chi_square,
    _refuse_uninformative,
)
from remission.stats.cumulative_incidence import CumulativeIncidenceResult, incidence_curve
from remission.stats.gray_test import GrayTestResult, gray_rows
from remission.stats.inputs import SOURCE, Groups, as_groups, refuse
from remission.stats.kaplan_meier import KaplanMeierResult, SurvivalCurve
from remission.stats.logrank import LogrankResult
from remission.stats.partitioned.sufficient import (
    CODE,
    COUNT,
    ENTRY,
    GROUP,
    STRATUM,
    TIME,
    CountTable,
    CoxScan,
    CoxSums,
    EventGrid,
    Problems,
)
from remission.stats.regression import RegressionResult


def refuse_problems(problems: Problems, rows: int, time_field: str) -> None:
    """Raise the :class:`InputError` listing every refused row count, or "no rows" when none are left."""
    listed = [
        FieldProblem(name, f"{count} {problem}") for (name, problem), count in sorted(problems.counts.items())
    ]
    if listed:
        raise InputError(SOURCE, listed)
    if rows == 0:
        raise refuse(time_field, "is empty: no rows to analyse")


# --- labels ---------------------------------------------------------------------------------------


def _coding(
    table: CountTable, column: str, given: bool, field: str
) -> tuple[Groups, NDArray[np.int64], NDArray[np.int64]]:
    """Labels in R's factor order, and the codes of the exit and entry rows of ``table``."""
    exits = table.exits[column].to_numpy()
    entries = table.entries[column].to_numpy()
    if not given:
        return as_groups(None, 0), np.zeros(exits.size, np.int64), np.zeros(entries.size, np.int64)
    values = np.concatenate([exits, entries]) if entries.size else exits
    groups = as_groups(values, values.size, field)
    return groups, groups.codes[: exits.size], groups.codes[exits.size :]


def _per_time(
    times: NDArray[np.float64], codes: NDArray[np.int64], counts: NDArray[np.int64], width: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Distinct times (increasing) and the counts per (time, code) as a ``(times, width)`` array."""
    distinct, position = np.unique(times, return_inverse=True)
    cells = np.bincount(position.reshape(-1) * width + codes, weights=counts, minlength=distinct.size * width)
    return distinct, np.rint(cells).astype(np.int64).reshape(distinct.size, width)


def _reverse_cumsum(values: NDArray[Any]) -> NDArray[Any]:
    return np.cumsum(values[::-1], axis=0)[::-1]


# --- Kaplan–Meier and log-rank --------------------------------------------------------------------


def kaplan_meier_from_counts(
    table: CountTable, *, grouped: bool, late_entry: bool, conf_type: str = "log", conf_level: float = 0.95
) -> KaplanMeierResult:
    """:func:`remission.stats.kaplan_meier` from merged counts (``grouped``: a group column was given)."""
    z = check_conf(conf_type, conf_level)
    groups, exit_codes, entry_codes = _coding(table, GROUP, grouped, "group")
    exits, entries = table.exits, table.entries
    curves = []
    for code, label in enumerate(groups.labels):
        mine = exit_codes == code
        times, counts = _per_time(
            exits[TIME].to_numpy(np.float64)[mine],
            exits[CODE].to_numpy(np.int64)[mine],
            exits[COUNT].to_numpy(np.int64)[mine],
            2,
        )
        n_exit = counts.sum(axis=1)
        n_risk = _reverse_cumsum(n_exit)
        if late_entry:
            entering = entry_codes == code
            entry_time = entries[ENTRY].to_numpy(np.float64)[entering]
            entry_count = entries[COUNT].to_numpy(np.int64)[entering]
            # Not yet entered at t: entry >= t.
            after = np.searchsorted(times, entry_time, side="right")
            waiting = np.bincount(after, weights=entry_count, minlength=times.size + 1)
            n_risk = n_risk - np.rint(_reverse_cumsum(waiting)[1:]).astype(np.int64)
        curves.append(_survival_curve(label, times, n_risk, counts[:, 1], counts[:, 0], conf_type, z))

    def compare() -> LogrankResult | None:
        if groups.count < 2 or late_entry:
            return None
        try:
            return logrank_from_counts(table, grouped=True, stratified=False, rho=0.0)
        except InputError:
            return None

    return KaplanMeierResult(tuple(curves), conf_type, float(conf_level), late_entry, compare)


def _survival_curve(
    label: str,
    times: NDArray[np.float64],
    n_risk: NDArray[np.int64],
    n_event: NDArray[np.int64],
    n_censor: NDArray[np.int64],
    conf_type: str,
    z: float,
) -> SurvivalCurve:
    # The formulas of remission.stats.kaplan_meier._curve, on the merged counts.
    at_risk = n_risk.astype(np.float64)
    deaths = n_event.astype(np.float64)
    survival = np.cumprod(1.0 - deaths / at_risk, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        increment = np.where(deaths > 0, deaths / (at_risk * (at_risk - deaths)), 0.0)
        std_err_log = np.sqrt(np.cumsum(increment))
        std_err = survival * std_err_log
    lower, upper = survival_limits(survival, std_err_log, conf_type, z)
    return SurvivalCurve(
        group=label,
        n=int(n_event.sum() + n_censor.sum()),
        events=int(n_event.sum()),
        time=times,
        n_risk=n_risk.astype(np.int64),
        n_event=n_event,
        n_censor=n_censor,
        survival=survival,
        std_err=std_err,
        std_err_log=std_err_log,
        lower=lower,
        upper=upper,
        median=first_below_half(survival, times),
        median_lower=first_below_half(lower, times),
        median_upper=first_below_half(upper, times),
    )


def logrank_from_counts(
    table: CountTable, *, grouped: bool, stratified: bool, rho: float
) -> LogrankResult | None:
    """:func:`remission.stats.logrank.compare_groups` from merged counts; ``None`` when untestable."""
    groups, exit_codes, _ = _coding(table, GROUP, grouped, "group")
    strata, layer_codes, _ = _coding(table, STRATUM, stratified, "strata")
    k = groups.count
    exits = table.exits
    time = exits[TIME].to_numpy(np.float64)
    code = exits[CODE].to_numpy(np.int64)
    count = exits[COUNT].to_numpy(np.int64)
    observed = np.zeros(k)
    expected = np.zeros(k)
    variance = np.zeros((k, k))
    for layer in range(strata.count):
        inside = layer_codes == layer
        cell = exit_codes[inside] * 2 + code[inside]
        _, counts = _per_time(time[inside], cell, count[inside], 2 * k)
        counts = counts.reshape(-1, k, 2)
        n_risk = _reverse_cumsum(counts.sum(axis=2))
        o, e, v = _stratum_sums(n_risk, counts[:, :, 1], rho)
        observed += o
        expected += e
        variance += v
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
        groups=groups.labels,
        n=np.bincount(exit_codes, weights=count, minlength=k).astype(np.int64),
        observed=observed,
        expected=expected,
        variance=variance,
        statistic=statistic,
        df=df,
        p_value=float(scipy_stats.chi2.sf(statistic, df)),
        rho=rho,
        strata=strata.labels if stratified else (),
    )


def _stratum_sums(
    n_risk: NDArray[np.int64], n_event: NDArray[np.int64], rho: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    # The formulas of remission.stats.logrank._stratum_sums, on the merged counts.
    at_risk = n_risk.astype(np.float64)
    deaths = n_event.astype(np.float64)
    n = at_risk.sum(axis=1)
    d = deaths.sum(axis=1)
    if rho != 0.0:
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


# --- competing risks ------------------------------------------------------------------------------


def _causes(table: CountTable) -> tuple[int, ...]:
    code = table.exits[CODE].to_numpy(np.int64)
    causes = tuple(int(value) for value in np.unique(code[code != 0]))
    if not causes:
        raise refuse("cause", "has no events (every subject is censored, code 0); at least one is needed")
    return causes


def cumulative_incidence_from_counts(table: CountTable, *, grouped: bool) -> CumulativeIncidenceResult:
    """:func:`remission.stats.cumulative_incidence` from merged counts (with Gray's test for groups)."""
    groups, exit_codes, _ = _coding(table, GROUP, grouped, "group")
    causes = _causes(table)
    exits = table.exits
    column = _cause_columns(exits[CODE].to_numpy(np.int64), causes)
    time = exits[TIME].to_numpy(np.float64)
    count = exits[COUNT].to_numpy(np.int64)
    by_group = []
    subjects = []
    events = []
    for g, label in enumerate(groups.labels):
        mine = exit_codes == g
        times, counts = _per_time(time[mine], column[mine], count[mine], len(causes) + 1)
        at_risk = _reverse_cumsum(counts.sum(axis=1)).astype(np.float64)
        by_group.append(
            [
                incidence_curve(label, cause, times, at_risk, counts[:, 1:], j)
                for j, cause in enumerate(causes)
            ]
        )
        subjects.append(int(counts.sum()))
        events.append(tuple(int(total) for total in counts[:, 1:].sum(axis=0)))
    curves = tuple(by_group[g][j] for j in range(len(causes)) for g in range(groups.count))
    test = None
    if groups.count > 1:
        test = replace(gray_test_from_counts(table, grouped=True, stratified=False), groups=groups.labels)
    return CumulativeIncidenceResult(
        groups=groups.labels,
        causes=causes,
        curves=curves,
        subjects=tuple(subjects),
        events=tuple(events),
        gray_test=test,
    )


def _cause_columns(code: NDArray[np.int64], causes: Sequence[int]) -> NDArray[np.int64]:
    """Column 0 for censorings, 1 + j for the events of ``causes[j]``."""
    return np.where(code == 0, 0, np.searchsorted(np.asarray(causes), code) + 1).astype(np.int64)


def gray_test_from_counts(
    table: CountTable, *, grouped: bool, stratified: bool, rho: float = 0.0
) -> GrayTestResult:
    """:func:`remission.stats.gray_test` from merged counts."""
    groups, exit_codes, _ = _coding(table, GROUP, grouped, "group")
    if groups.count < 2:
        raise refuse("group", "needs at least two groups to compare")
    strata, layer_codes, _ = _coding(table, STRATUM, stratified, "strata")
    causes = _causes(table)
    exits = table.exits
    column = _cause_columns(exits[CODE].to_numpy(np.int64), causes)
    time = exits[TIME].to_numpy(np.float64)
    count = exits[COUNT].to_numpy(np.int64)
    ng, width = groups.count, len(causes) + 1
    strata_counts = []
    for layer in range(strata.count):
        inside = layer_codes == layer
        _, counts = _per_time(
            time[inside], exit_codes[inside] * width + column[inside], count[inside], ng * width
        )
        strata_counts.append(counts.reshape(-1, ng, width))
    rows = gray_rows(strata_counts, causes, ng, float(rho))
    return GrayTestResult(rows=rows, groups=groups.labels, rho=float(rho), strata=strata.count)


# --- Cox ------------------------------------------------------------------------------------------


def event_grid(scan: CoxScan, stratified: bool) -> tuple[EventGrid, Groups, NDArray[np.int64]]:
    """The global grid of event times per stratum (strata in R's factor order) and the deaths per slot."""
    labels = scan.strata[STRATUM].to_numpy()
    strata = as_groups(labels if stratified else None, labels.size, "strata")
    ordered = np.empty(strata.count, dtype=object)
    if stratified:
        ordered[strata.codes] = labels
    else:
        ordered[0] = 0
    times = scan.event_times
    layer = (
        pd.Index(ordered).get_indexer(pd.Index(times[STRATUM]))
        if stratified
        else np.zeros(len(times), np.intp)
    )
    order = np.lexsort((times[TIME].to_numpy(np.float64), layer))
    sizes = np.bincount(layer, minlength=strata.count)
    grid = EventGrid(
        strata=ordered,
        times=times[TIME].to_numpy(np.float64)[order],
        offsets=np.concatenate(([0], np.cumsum(sizes))).astype(np.intp),
    )
    return grid, strata, times[COUNT].to_numpy(np.int64)[order]


def cox_evaluation(
    sums: CoxSums, grid: EventGrid, deaths: NDArray[np.int64], event_x_sum: NDArray[np.float64], efron: bool
) -> Evaluation:
    """Log partial likelihood, score and information from one step's merged sums.

    The formulas of :func:`remission.stats._cox_likelihood.evaluate`: risk-set sums at each event
    time are reverse cumulative sums of the per-slot exits (minus entries) within the stratum.
    """
    p = event_x_sum.size
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        at_risk = np.empty_like(sums.exits)
        for s in range(grid.strata.size):
            part = slice(grid.offsets[s], grid.offsets[s + 1])
            at_risk[part] = _reverse_cumsum(sums.exits[part]) - _reverse_cumsum(sums.entries[part])
        dying = sums.dying
        block_starts = np.concatenate(([0], np.cumsum(deaths)[:-1])).astype(np.intp)
        block = np.repeat(np.arange(deaths.size), deaths)
        if efron:
            fraction = (np.arange(block.size) - np.repeat(block_starts, deaths)) / np.repeat(deaths, deaths)
        else:
            fraction = np.zeros(block.size)
        risk_each = at_risk[block, : 1 + p]
        dying_each = dying[block, : 1 + p]
        denominator = risk_each[:, 0] - fraction * dying_each[:, 0]
        inverse = 1.0 / denominator
        mean = (risk_each[:, 1:] - fraction[:, None] * dying_each[:, 1:]) * inverse[:, None]
        log_likelihood = float(sums.event_eta - np.log(denominator).sum())
        score = event_x_sum - mean.sum(axis=0)
        weight_at_risk = np.add.reduceat(inverse, block_starts)
        weight_dying = np.add.reduceat(fraction * inverse, block_starts)
        second = weight_at_risk @ at_risk[:, 1 + p :] - weight_dying @ dying[:, 1 + p :]
        upper = np.triu_indices(p)
        information = np.empty((p, p))
        information[upper] = second
        information[upper[1], upper[0]] = second
        information -= mean.T @ mean
    return Evaluation(log_likelihood, score, information)


def cox_fit(
    step: Callable[[NDArray[np.float64]], CoxSums],
    largest: Callable[[NDArray[np.float64]], float],
    scan: CoxScan,
    grid: EventGrid,
    deaths: NDArray[np.int64],
    *,
    terms: tuple[str, ...],
    ties: str,
    strata: int,
    late_entry: bool,
) -> RegressionResult:
    """:func:`remission.stats.cox_ph` with the sums of each Newton step from ``step(beta)``.

    ``largest(beta)`` is the largest linear predictor (asked only when the fit did not converge).
    """
    p = len(terms)
    zero = step(np.zeros(p))
    event_x_sum = zero.dying[:, 1 : 1 + p].sum(axis=0)  # Σ centred x over events: w = 1 at β = 0
    efron = ties == "efron"

    def evaluate(beta: NDArray[np.float64]) -> Evaluation:
        sums = zero if not np.any(beta) else step(beta)
        return cox_evaluation(sums, grid, deaths, event_x_sum, efron)

    fit = newton_raphson(evaluate, p)
    _refuse_uninformative(fit.initial_cholesky, terms)
    coef = fit.beta.copy()
    covariance = fit.final_cholesky.inverse()
    aliased = fit.final_cholesky.singular
    coef[aliased] = np.nan
    covariance[aliased, :] = np.nan
    covariance[:, aliased] = np.nan
    estimable = ~aliased
    df = int(np.sum(estimable))
    score_statistic = float(fit.initial.score @ fit.initial_cholesky.solve(fit.initial.score))
    kept = coef[estimable]
    wald_statistic = float(kept @ Cholesky.of(covariance[np.ix_(estimable, estimable)]).solve(kept))
    likelihood_ratio = 2.0 * (fit.final.log_likelihood - fit.initial.log_likelihood)
    details: tuple[tuple[str, Any], ...] = (
        ("ties", ties),
        ("log_likelihood_initial", fit.initial.log_likelihood),
        ("likelihood_ratio_test", _chi_square(likelihood_ratio, df)),
        ("wald_test", _chi_square(wald_statistic, df)),
        ("score_test", _chi_square(score_statistic, df)),
        ("converged", fit.converged),
        ("warning", _warning(fit, lambda: largest(fit.beta), covariance, terms)),
        ("strata", strata),
        ("late_entry", late_entry),
    )
    return RegressionResult(
        model="cox",
        terms=terms,
        coef=coef,
        covariance=covariance,
        n=scan.rows,
        events=scan.events,
        log_likelihood=fit.final.log_likelihood,
        iterations=fit.iterations,
        details=details,
    )


def _warning(
    fit: NewtonFit, largest: Callable[[], float], covariance: NDArray[np.float64], names: tuple[str, ...]
) -> str | None:
    # The messages of remission.stats.cox._warning; the largest predictor comes from the partitions.
    messages: list[str] = []
    aliased = fit.final_cholesky.singular
    if np.any(aliased):
        listed = ", ".join(names[j] for j in np.flatnonzero(aliased))
        messages.append(
            f"Information matrix deemed singular at the solution for {listed}; coefficient set to NA"
        )
    usable = np.where(np.isnan(covariance), 0.0, covariance)
    step = np.abs(fit.final.score @ usable)
    if not fit.converged:
        message = f"Ran out of iterations ({ITERATION_LIMIT}) and did not converge"
        if largest() > LARGE_LINEAR_PREDICTOR or not np.all(np.isfinite(step)):
            message += "; one or more coefficients may be infinite"
        messages.append(message)
    else:
        infinite = ~np.isfinite(fit.final.score) | (
            (step > EPS) & (step > INFINITE_TOLERANCE * np.abs(fit.beta))
        )
        if np.any(infinite):
            listed = ", ".join(names[j] for j in np.flatnonzero(infinite))
            messages.append(f"Loglik converged before variable(s) {listed}; coefficient may be infinite")
    return "; ".join(messages) if messages else None
