"""Running one report analysis: estimates ± SE at fixed years per group, with n, events and the test.

Survival analyses use :func:`remission.stats.kaplan_meier.kaplan_meier` (Greenwood SE, log-rank
test); incidence analyses :func:`remission.stats.cumulative_incidence.cumulative_incidence`
(cmprsk's variance, Gray's test). A cell is :data:`NOT_ESTIMABLE` when its group has fewer than
``min_group_size`` patients or when no one in the group is at risk at the time (every follow-up
ended earlier); otherwise it prints the estimator's own numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from remission.stats.cumulative_incidence import CumulativeIncidenceResult, cumulative_incidence
from remission.stats.kaplan_meier import KaplanMeierResult, SurvivalCurve, kaplan_meier
from remission.stats.plots import number_at_risk
from remission.stats.report.definitions import CAUSE_LABELS, AnalysisDefinition
from remission.stats.report.formatting import NOT_ESTIMABLE, p_value, percent_se, statistic

#: Label of the row that pools every group of an analysis.
ALL = "All patients"
#: The standard normal quantile of two-sided 95% limits.
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Cell:
    """One estimate at one time: the printed text and the numbers it came from (``None``: not shown)."""

    time_days: float
    n_risk: int
    estimate: float | None
    std_err: float | None
    text: str
    #: 95% confidence limits (survival: log transform, as R survfit; incidence: log(-log)).
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class GroupRow:
    """A table row: a group (or :data:`ALL`), the cause for incidence rows, n, events, cells."""

    group: str
    cause: str | None
    n: int
    events: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class GroupTest:
    """The log-rank or Gray test of an analysis (numbers ``None`` where no test is possible)."""

    name: str
    statistic: float | None
    df: int | None
    p_value: float | None
    text: str


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """An analysis run on the dataset: its rows, tests and the fit and data the plot is drawn from.

    ``n`` patients are in the population, ``excluded`` of them lack the time, event or group (or
    their group is one the definition leaves out).
    ``fit`` is the grouped fit (or the pooled one without grouping); ``None`` when no one is left.
    """

    definition: AnalysisDefinition
    n: int
    excluded: int
    rows: tuple[GroupRow, ...]
    tests: tuple[GroupTest, ...]
    fit: KaplanMeierResult | CumulativeIncidenceResult | None
    time: NDArray[np.float64]
    event: NDArray[np.int64]
    group: NDArray[np.object_] | None
    message: str = ""


def run_analysis(
    frame: pd.DataFrame, definition: AnalysisDefinition, times_days: Sequence[float], min_group_size: int
) -> AnalysisResult:
    """Run ``definition`` on ``frame`` (the endpoint dataset) with cells at ``times_days``."""
    population = frame[definition.population(frame)]
    complete = population[definition.time].notna() & population[definition.event].notna()
    if definition.group:
        values = population[definition.group]
        complete &= values.notna() & ~values.isin(list(definition.left_out))
    data = population[complete]
    time = data[definition.time].to_numpy(dtype=np.float64)
    event = data[definition.event].to_numpy(dtype=np.int64)
    group = None
    if definition.group:
        values = data[definition.group]
        words = values.map(dict(definition.group_labels)) if definition.group_labels else values
        group = words.fillna(values.astype(str)).astype(str).to_numpy(dtype=object)
    excluded = int(len(population) - len(data))
    if len(data) == 0:
        message = "No patient of this population has the data this analysis needs."
        return AnalysisResult(
            definition, len(population), excluded, (), (), None, time, event, group, message
        )
    if definition.kind == "survival":
        return _survival(
            definition, len(population), excluded, time, event, group, times_days, min_group_size
        )
    return _incidence(definition, len(population), excluded, time, event, group, times_days, min_group_size)


def _survival(
    definition: AnalysisDefinition,
    n: int,
    excluded: int,
    time: NDArray[np.float64],
    event: NDArray[np.int64],
    group: NDArray[np.object_] | None,
    times_days: Sequence[float],
    min_size: int,
) -> AnalysisResult:
    pooled = kaplan_meier(time, event)
    rows = [_survival_row(ALL, pooled.curves[0], times_days, min_size)]
    fit = pooled
    tests: tuple[GroupTest, ...] = ()
    if group is not None:
        fit = kaplan_meier(time, event, group=group)
        rows += [_survival_row(curve.group, curve, times_days, min_size) for curve in fit.curves]
        tests = (_logrank(fit),)
    return AnalysisResult(definition, n, excluded, tuple(rows), tests, fit, time, event, group)


def _survival_row(label: str, curve: SurvivalCurve, times_days: Sequence[float], min_size: int) -> GroupRow:
    cells = []
    for point in curve.at(list(times_days)):
        shown = curve.n >= min_size and point["n_risk"] > 0
        estimate = point["survival"] if shown else None
        std_err = point["std_err"] if shown else None
        lower, upper = (point["lower"], point["upper"]) if shown else (None, None)
        text = percent_se(estimate, std_err, lower, upper) if shown else NOT_ESTIMABLE
        cells.append(Cell(point["time"], point["n_risk"], estimate, std_err, text, lower, upper))
    return GroupRow(label, None, curve.n, curve.events, tuple(cells))


def _logrank(fit: KaplanMeierResult) -> GroupTest:
    name = "Log-rank test"
    if len(fit.curves) < 2:
        return GroupTest(name, None, None, None, f"{name}: one group only, no comparison")
    test = fit.logrank
    if test is None:
        return GroupTest(name, None, None, None, f"{name}: {NOT_ESTIMABLE}")
    text = f"{name}: {statistic(test.statistic, test.df)}, {p_value(test.p_value)}"
    return GroupTest(name, test.statistic, test.df, test.p_value, text)


def _incidence(
    definition: AnalysisDefinition,
    n: int,
    excluded: int,
    time: NDArray[np.float64],
    cause: NDArray[np.int64],
    group: NDArray[np.object_] | None,
    times_days: Sequence[float],
    min_size: int,
) -> AnalysisResult:
    if not np.any(cause > 0):
        message = "No relapse or death was recorded in this population: no curve is estimated."
        return AnalysisResult(definition, n, excluded, (), (), None, time, cause, group, message)
    pooled = cumulative_incidence(time, cause)
    rows = _incidence_rows(pooled, time, cause, None, times_days, min_size, ALL)
    fit = pooled
    tests: tuple[GroupTest, ...] = ()
    if group is not None:
        fit = cumulative_incidence(time, cause, group=group)
        rows += _incidence_rows(fit, time, cause, group, times_days, min_size, None)
        tests = _gray(fit)
    return AnalysisResult(definition, n, excluded, tuple(rows), tests, fit, time, cause, group)


def _incidence_rows(
    fit: CumulativeIncidenceResult,
    time: NDArray[np.float64],
    cause: NDArray[np.int64],
    group: NDArray[np.object_] | None,
    times_days: Sequence[float],
    min_size: int,
    label: str | None,
) -> list[GroupRow]:
    at_risk = number_at_risk(time, list(times_days), group=group)
    rows = []
    for c, code in enumerate(fit.causes):
        for g, name in enumerate(fit.groups):
            curve = fit.curve(name, code)
            size = fit.subjects[g]
            cells = []
            for point, risk in zip(curve.at(list(times_days)), at_risk.rows[g], strict=True):
                time_days, variance = point["time"], point["variance"]
                assert time_days is not None  # IncidenceCurve.at gives every requested time back
                shown = size >= min_size and risk > 0 and point["estimate"] is not None
                estimate = point["estimate"] if shown else None
                std_err = float(np.sqrt(variance)) if shown and variance is not None else None
                lower, upper = incidence_limits(estimate, std_err)
                text = percent_se(estimate, std_err, lower, upper) if shown else NOT_ESTIMABLE
                cells.append(Cell(time_days, risk, estimate, std_err, text, lower, upper))
            cause_name = CAUSE_LABELS.get(code, f"cause {code}")
            rows.append(GroupRow(label or name, cause_name, size, fit.events[g][c], tuple(cells)))
    return rows


def incidence_limits(estimate: float | None, std_err: float | None) -> tuple[float | None, float | None]:
    """95% limits of a cumulative incidence on the log(-log) scale, which keeps them inside
    (0, 1): ``F ** exp(±1.96 · SE / (F · log F))``; ``(None, None)`` when ``F`` is 0 or 1 or the
    SE is not finite. cmprsk's ``cuminc`` gives the variance but no limits; this transform is
    the one of Choudhury (Stat Med 2002) and of R's ``tidycmprsk``."""
    if estimate is None or std_err is None or not 0.0 < estimate < 1.0 or not np.isfinite(std_err):
        return None, None
    spread = Z_95 * std_err / (estimate * np.log(estimate))
    first, second = estimate ** np.exp(spread), estimate ** np.exp(-spread)
    return float(min(first, second)), float(max(first, second))


def _gray(fit: CumulativeIncidenceResult) -> tuple[GroupTest, ...]:
    if fit.gray_test is None:
        return (GroupTest("Gray's test", None, None, None, "Gray's test: one group only, no comparison"),)
    tests = []
    for row in fit.gray_test.rows:
        name = f"Gray's test, {CAUSE_LABELS.get(row.cause, f'cause {row.cause}')}"
        stat = float(row.statistic) if np.isfinite(row.statistic) else None
        p = float(row.p_value) if np.isfinite(row.p_value) else None
        text = (
            f"{name}: {statistic(stat, row.df)}, {p_value(p)}"
            if p is not None
            else f"{name}: {NOT_ESTIMABLE}"
        )
        tests.append(GroupTest(name, stat, row.df, p, text))
    return tuple(tests)
