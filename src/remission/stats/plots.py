"""Step plots of Kaplan–Meier and cumulative-incidence curves with a number-at-risk table.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas (no pyplot, no global
state, no display needed). Each plot draws its curves as right-continuous steps, marks censoring
times with a vertical tick on the curve, optionally shades the Kaplan–Meier confidence band, and
prints under the axis the number at risk at every tick time: the subjects whose follow-up time is
at or after the tick (``time >= t``), which is R's ``summary(fit, times = t)$n.risk``. The
number-at-risk texts carry the ``gid`` ``"at-risk:<group>:<tick index>"`` so they can be read
back from a figure.

Times are in the data's unit (days in the report); ``time_scale`` divides them for the axis
(365.25 turns days into years).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure
from numpy.typing import ArrayLike, NDArray

from remission.stats.cumulative_incidence import CumulativeIncidenceResult
from remission.stats.inputs import as_groups, as_times, refuse
from remission.stats.kaplan_meier import KaplanMeierResult

#: Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), with line styles
#: so curves also differ in grey-scale print.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
STYLES = ("-", "--", "-.", ":")
AT_RISK_LABEL = "number-at-risk"


@dataclass(frozen=True)
class AtRisk:
    """Numbers at risk per group (``rows[g][i]`` at ``times[i]``), ``labels`` in curve order."""

    times: tuple[float, ...]
    labels: tuple[str, ...]
    rows: tuple[tuple[int, ...], ...]


def number_at_risk(time: ArrayLike, at: ArrayLike, *, group: ArrayLike | None = None) -> AtRisk:
    """Subjects with follow-up ``time >= t`` at each ``t`` of ``at``, per group (R factor order)."""
    times = as_times(time, "time")
    ticks = np.atleast_1d(np.asarray(at, dtype=np.float64))
    groups = as_groups(group, times.size, "group")
    rows = []
    for code in range(groups.count):
        ordered = np.sort(times[groups.codes == code])
        rows.append(tuple(int(v) for v in ordered.size - np.searchsorted(ordered, ticks, side="left")))
    return AtRisk(tuple(float(t) for t in ticks), groups.labels, tuple(rows))


def survival_plot(
    fit: KaplanMeierResult,
    *,
    title: str = "",
    ylabel: str = "Survival probability",
    time_scale: float = 365.25,
    time_label: str = "Years",
    confidence: bool = False,
    max_time: float | None = None,
    figure: Figure | SubFigure | None = None,
) -> Figure | SubFigure:
    """Kaplan–Meier curves of ``fit`` with censoring marks and a number-at-risk table.

    ``max_time`` (data units) ends the axis (default: the longest follow-up); ticks fall on whole
    multiples of ``time_scale``. With ``confidence`` the pointwise band of ``fit`` is shaded.
    Draws into ``figure`` when given (e.g. a subfigure of a PDF page), else a new figure.
    """
    end = axis_end(max_time, max(float(c.time[-1]) for c in fit.curves))
    ticks = tick_times(end, time_scale)
    fig, ax, table_ax = _layout(figure, len(fit.curves))
    for k, curve in enumerate(fit.curves):
        colour, style = COLOURS[k % len(COLOURS)], STYLES[k % len(STYLES)]
        x = np.concatenate(([0.0], curve.time)) / time_scale
        y = np.concatenate(([1.0], curve.survival))
        ax.step(
            x, y, where="post", color=colour, linestyle=style, linewidth=1.6, label=_label(curve.group, fit)
        )
        if confidence:
            lower = np.concatenate(([1.0], curve.lower))
            upper = np.concatenate(([1.0], curve.upper))
            ax.fill_between(x, lower, upper, step="post", color=colour, alpha=0.15, linewidth=0)
        censored = curve.n_censor > 0
        ax.plot(curve.time[censored] / time_scale, curve.survival[censored], "|", color=colour, markersize=7)
    counts = tuple(tuple(row["n_risk"] for row in curve.at(ticks)) for curve in fit.curves)
    at_risk = AtRisk(tuple(float(t) for t in ticks), tuple(c.group for c in fit.curves), counts)
    _finish(ax, table_ax, at_risk, end, time_scale, time_label, ylabel, title, len(fit.curves) > 1)
    return fig


def incidence_plot(
    fit: CumulativeIncidenceResult,
    time: ArrayLike,
    cause: ArrayLike,
    *,
    group: ArrayLike | None = None,
    causes: Sequence[int] = (1,),
    cause_labels: dict[int, str] | None = None,
    title: str = "",
    ylabel: str = "Cumulative incidence",
    time_scale: float = 365.25,
    time_label: str = "Years",
    max_time: float | None = None,
    figure: Figure | SubFigure | None = None,
) -> Figure | SubFigure:
    """Cumulative incidence curves of ``fit`` for ``causes`` with censoring marks and numbers at risk.

    ``time``, ``cause`` (0 = censored) and ``group`` are the data ``fit`` was estimated from; they
    give the censoring marks and the number at risk (still event-free and followed, ``time >= t``).
    With several groups each group has its colour (further causes a thinner line in it); with one
    group each cause has its own colour. Curves are labelled with the group and ``cause_labels``.
    """
    times = as_times(time, "time")
    codes = np.asarray(cause)
    if codes.shape != times.shape:
        raise refuse("cause", f"must have one value per subject ({times.size})")
    groups = as_groups(group, times.size, "group")
    if groups.labels != fit.groups:
        raise refuse("group", f"groups {list(groups.labels)} are not those of the fit {list(fit.groups)}")
    names = cause_labels or {}
    end = axis_end(max_time, float(times.max()))
    ticks = tick_times(end, time_scale)
    fig, ax, table_ax = _layout(figure, groups.count)
    for k, label in enumerate(groups.labels):
        members = groups.codes == k
        for j, code in enumerate(causes):
            if code not in fit.causes:
                continue  # no event of this cause anywhere: cmprsk estimates no curve
            colour = COLOURS[(k if groups.count > 1 else j) % len(COLOURS)]
            curve = fit.curve(label, code)
            style = STYLES[(k + j) % len(STYLES)]
            text = ", ".join(part for part in (_label(label, fit), names.get(code, "")) if part)
            ax.plot(
                curve.time / time_scale,
                curve.estimate,
                color=colour,
                linestyle=style,
                linewidth=1.6 if j == 0 else 1.1,
                label=text or None,
            )
            marks = np.unique(times[members & (codes == 0)])
            values = [point["estimate"] for point in curve.at(marks)]
            ax.plot(marks / time_scale, np.array(values, dtype=float), "|", color=colour, markersize=7)
    at_risk = number_at_risk(times, ticks, group=None if group is None else np.asarray(group))
    _finish(ax, table_ax, at_risk, end, time_scale, time_label, ylabel, title, True)
    return fig


def figure_png(figure: Figure, *, dpi: int = 150) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def figure_svg(figure: Figure) -> bytes:
    """The figure as SVG bytes: text kept as text, no date, ids stable across runs."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "remission"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _label(group: str, fit: KaplanMeierResult | CumulativeIncidenceResult) -> str:
    groups = fit.groups if isinstance(fit, CumulativeIncidenceResult) else [c.group for c in fit.curves]
    return "" if len(groups) == 1 and group == "all" else group


def axis_end(max_time: float | None, longest: float) -> float:
    """Where the time axis ends: ``max_time`` if given, else the longest follow-up (at least 1)."""
    if max_time is None:
        return max(longest, 1.0)
    if not np.isfinite(max_time) or max_time <= 0:
        raise refuse("max_time", f"must be a positive time, got {max_time!r}")
    return float(max_time)


def tick_times(end: float, time_scale: float) -> NDArray[np.float64]:
    """The tick times (data units) of an axis ending at ``end``: whole multiples of ``time_scale``."""
    if not np.isfinite(time_scale) or time_scale <= 0:
        raise refuse("time_scale", f"must be positive, got {time_scale!r}")
    whole = int(np.floor(end / time_scale + 1e-9))
    step = max(1, int(np.ceil((whole + 1) / 11)))  # at most about 11 ticks stay readable
    return np.arange(0, whole + 1, step, dtype=np.float64) * time_scale


def _layout(figure: Figure | SubFigure | None, rows: int) -> tuple[Figure | SubFigure, Axes, Axes]:
    fig = (
        figure if figure is not None else Figure(figsize=(7.0, 4.2 + 0.22 * (rows + 1)), layout="constrained")
    )
    if isinstance(fig, Figure):
        FigureCanvasAgg(fig)
    ax, table_ax = fig.subplots(2, 1, sharex=True, height_ratios=[4.0, 0.3 * (rows + 1.5)])
    return fig, ax, table_ax


def _finish(
    ax: Axes,
    table_ax: Axes,
    at_risk: AtRisk,
    end: float,
    time_scale: float,
    time_label: str,
    ylabel: str,
    title: str,
    legend: bool,
) -> None:
    ax.set_xlim(0, end / time_scale * 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel(ylabel)
    ax.set_xticks(np.asarray(at_risk.times) / time_scale)
    ax.tick_params(labelbottom=True)
    ax.set_xlabel(time_label)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", frameon=False, fontsize="small")
    table_ax.set_label(AT_RISK_LABEL)
    table_ax.set_ylim(len(at_risk.labels) - 0.5, -1.2)
    table_ax.set_yticks([])
    table_ax.tick_params(axis="x", bottom=False, labelbottom=False)
    for spine in table_ax.spines.values():
        spine.set_visible(False)
    table_ax.text(
        0.0,
        -1.0,
        "Number at risk",
        transform=table_ax.get_yaxis_transform(),
        fontsize="small",
        fontweight="bold",
        va="center",
    )
    for g, (label, counts) in enumerate(zip(at_risk.labels, at_risk.rows, strict=True)):
        colour = COLOURS[g % len(COLOURS)]
        name = label if len(at_risk.labels) > 1 or label != "all" else "All"
        table_ax.text(
            -0.05,
            g,
            name,
            transform=table_ax.get_yaxis_transform(),
            ha="right",
            va="center",
            fontsize="small",
            color=colour,
        )
        for i, (tick, count) in enumerate(zip(at_risk.times, counts, strict=True)):
            cell = table_ax.text(tick / time_scale, g, str(count), ha="center", va="center", fontsize="small")
            cell.set_gid(f"at-risk:{label}:{i}")
