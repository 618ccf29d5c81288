"""The plot of each report analysis, drawn by :mod:`remission.stats.plots`, with its number-at-risk table.

The study report and the web dashboard both draw analyses through these functions.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure, SubFigure

from remission.stats.cumulative_incidence import CumulativeIncidenceResult
from remission.stats.plots import (
    axis_end,
    figure_svg,
    incidence_plot,
    number_at_risk,
    survival_plot,
    tick_times,
)
from remission.stats.report.definitions import CAUSE_LABELS
from remission.stats.report.estimates import ALL, AnalysisResult


@dataclass(frozen=True)
class AtRiskTable:
    """The number at risk under a plot's time axis: tick times (days) and one row per curve."""

    ticks_days: tuple[float, ...]
    rows: tuple[tuple[str, tuple[int, ...]], ...]


def analysis_figure(
    result: AnalysisResult, *, year_days: float, figure: Figure | SubFigure | None = None
) -> Figure | SubFigure | None:
    """The analysis's curves in years with numbers at risk; ``None`` when nothing was estimated.

    Grouped incidence analyses plot relapse (cause 1) per group; the pooled one plots every cause.
    """
    fit = result.fit
    if fit is None:
        return None
    definition = result.definition
    if isinstance(fit, CumulativeIncidenceResult):
        causes = fit.causes if result.group is None else (1,)
        return incidence_plot(
            fit,
            result.time,
            result.event,
            group=result.group,
            causes=causes,
            cause_labels=dict(CAUSE_LABELS) if result.group is None else None,
            ylabel=definition.ylabel,
            time_scale=year_days,
            time_label=f"Years from {_origin_word(definition.origin)}",
            figure=figure,
        )
    return survival_plot(
        fit,
        ylabel=definition.ylabel,
        time_scale=year_days,
        time_label=f"Years from {_origin_word(definition.origin)}",
        confidence=result.group is None,
        figure=figure,
    )


def _origin_word(origin: str) -> str:
    """ "Date of the first relapse." → "the first relapse"."""
    return origin.removeprefix("Date of ").rstrip(".")


def alt_text(result: AnalysisResult) -> str:
    """A text alternative for the plot: what it shows and where its numbers are."""
    definition = result.definition
    kind = "Kaplan–Meier" if definition.kind == "survival" else "Cumulative incidence"
    grouping = f" by {definition.group_title}" if definition.group else ""
    return (
        f"{kind} curves of {definition.title.lower()}{grouping}, with censoring marks and the number at "
        "risk under the time axis; the table above gives the estimates."
    )


def analysis_svg_uri(result: AnalysisResult, *, year_days: float) -> str | None:
    """The analysis's plot as an SVG data URI; ``None`` when nothing was estimated."""
    figure = analysis_figure(result, year_days=year_days)
    if not isinstance(figure, Figure):
        return None
    return "data:image/svg+xml;base64," + base64.b64encode(figure_svg(figure)).decode("ascii")


def at_risk_table(result: AnalysisResult, *, year_days: float) -> AtRiskTable | None:
    """The plot's number-at-risk table, for readers who cannot see the image; ``None`` without a fit."""
    if result.fit is None:
        return None
    ticks = tick_times(axis_end(None, float(np.max(result.time))), year_days)
    counts = number_at_risk(result.time, ticks, group=result.group)
    labels = counts.labels if result.group is not None else (ALL,)
    rows = tuple(
        (str(label), tuple(int(n) for n in row)) for label, row in zip(labels, counts.rows, strict=True)
    )
    return AtRiskTable(tuple(float(t) for t in ticks), rows)
