"""From merged per-time tables to the result objects the in-memory estimators return.

No formula is written here: the in-memory modules finish from per-time counts and sums through
public functions (Kaplan–Meier's ``survival_curve_from_counts``, the log-rank ``grho_sums`` and
``grho_test``, cmprsk's ``incidence_curve``, Gray's ``risk_and_events`` and ``gray_rows``, Cox's
``from_block_sums``, Newton–Raphson and ``cox_result``), and this module only turns merged count
tables into their inputs. Counts are integers, so the risk sets are exact; the results equal the
in-memory ones up to the rounding of sums taken in a different order (Cox), well inside 1e-10.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from remission.errors import FieldProblem, InputError
from remission.stats._cox_likelihood import from_block_sums
from remission.stats._newton import Evaluation, newton_raphson
from remission.stats.confidence import check_conf
from remission.stats.cox import cox_result
from remission.stats.cumulative_incidence import CumulativeIncidenceResult, incidence_curve
from remission.stats.gray_test import GrayTestResult, gray_rows
from remission.stats.inputs import SOURCE, Groups, as_groups, refuse
from remission.stats.kaplan_meier import KaplanMeierResult, survival_curve_from_counts
from remission.stats.logrank import LogrankResult, grho_sums, grho_test
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
        curves.append(
            survival_curve_from_counts(label, times, n_risk, counts[:, 1], counts[:, 0], conf_type, z)
        )

    def compare() -> LogrankResult | None:
        if groups.count < 2 or late_entry:
            return None
        try:
            return logrank_from_counts(table, grouped=True, stratified=False, rho=0.0)
        except InputError:
            return None

    return KaplanMeierResult(tuple(curves), conf_type, float(conf_level), late_entry, compare)


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
        o, e, v = grho_sums(_reverse_cumsum(counts.sum(axis=2)), counts[:, :, 1], rho)
        observed += o
        expected += e
        variance += v
    return grho_test(
        groups.labels,
        np.bincount(exit_codes, weights=count, minlength=k).astype(np.int64),
        observed,
        expected,
        variance,
        rho,
        strata.labels if stratified else (),
    )


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
    sums: CoxSums,
    grid: EventGrid,
    deaths: NDArray[np.float64],
    efron: bool,
    event_x_sum: NDArray[np.float64],
) -> Evaluation:
    """Log partial likelihood, score and information from one step's merged sums.

    Risk-set sums at each event time are reverse cumulative sums of the per-slot exits (minus
    entries) within the stratum; the in-memory :func:`~remission.stats._cox_likelihood.from_block_sums`
    finishes (every grid slot is a block of tied events).
    """
    p = event_x_sum.size
    upper = np.triu_indices(p)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        at_risk = np.empty_like(sums.exits)
        for s in range(grid.strata.size):
            part = slice(grid.offsets[s], grid.offsets[s + 1])
            at_risk[part] = _reverse_cumsum(sums.exits[part]) - _reverse_cumsum(sums.entries[part])

        def second_moments(alpha: NDArray[np.float64], gamma: NDArray[np.float64]) -> NDArray[np.float64]:
            packed = alpha @ at_risk[:, 1 + p :] - gamma @ sums.dying[:, 1 + p :]
            matrix = np.empty((p, p))
            matrix[upper] = packed
            matrix[upper[1], upper[0]] = packed
            return matrix

        return from_block_sums(
            sums.event_eta,
            event_x_sum,
            at_risk[:, : 1 + p].T,
            sums.dying[:, : 1 + p].T,
            deaths,
            efron,
            second_moments,
        )


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
    blocks = deaths.astype(np.float64)
    efron = ties == "efron"

    def evaluate(beta: NDArray[np.float64]) -> Evaluation:
        sums = zero if not np.any(beta) else step(beta)
        return cox_evaluation(sums, grid, blocks, efron, event_x_sum)

    fit = newton_raphson(evaluate, p)
    return cox_result(
        fit,
        terms=terms,
        ties=ties,
        n=scan.rows,
        events=scan.events,
        strata=strata,
        late_entry=late_entry,
        largest_predictor=lambda: largest(fit.beta),
    )
