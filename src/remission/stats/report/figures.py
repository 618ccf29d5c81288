"""The plot of each report analysis, drawn by :mod:`remission.stats.plots`."""

from __future__ import annotations

from matplotlib.figure import Figure, SubFigure

from remission.stats.cumulative_incidence import CumulativeIncidenceResult
from remission.stats.plots import incidence_plot, survival_plot
from remission.stats.report.definitions import CAUSE_LABELS
from remission.stats.report.estimates import AnalysisResult


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
