"""The study flow as a boxes-and-arrows figure (CONSORT style), for the HTML and PDF reports.

The steps run down the left; the patients lost after each step, with the reasons, sit in a box
to its right; the stratified patients split into one box per arm at the bottom. The same
numbers are printed as a table beside the figure (:mod:`remission.stats.report.consort`).
"""

from __future__ import annotations

import base64

from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.patches import FancyBboxPatch

from remission.stats.plots import figure_svg
from remission.stats.report.consort import StudyFlow


def _box(ax: Axes, x: float, y: float, w: float, h: float, text: str, size: float = 8.5) -> None:
    box = FancyBboxPatch(
        (x, y), w, h, boxstyle="round,pad=0.01", facecolor="white", edgecolor="#333333", linewidth=1.0
    )
    box.set_transform(ax.transAxes)
    ax.add_patch(box)
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, wrap=True)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate(
        "", xy=end, xytext=start, xycoords="axes fraction", arrowprops={"arrowstyle": "->", "lw": 1.0}
    )


def _loss_text(flow: StudyFlow, index: int) -> str:
    lines = []
    for loss in flow.steps[index].lost:
        lines.append(f"{loss.reason}: {loss.count}")
        lines += [f"   {name}: {count}" for name, count in loss.detail[:4]]
    return "\n".join(lines)


def flow_figure(flow: StudyFlow, *, figure: Figure | SubFigure | None = None) -> Figure | SubFigure:
    """The flow of one protocol as boxes and arrows."""
    fig = figure if figure is not None else Figure(figsize=(8.0, 7.5))
    ax = fig.add_axes((0.03, 0.03, 0.94, 0.88))
    ax.axis("off")
    steps = flow.steps
    rows = len(steps) + 1
    height = 1.0 / (rows * 1.45)
    gap = (1.0 - rows * height) / (rows - 1)
    x, w = 0.05, 0.36
    for index, step in enumerate(steps):
        y = 0.99 - (index + 1) * height - index * gap
        _box(ax, x, y, w, height, f"{step.label}\nn = {step.count}", 9.5)
        if index + 1 < len(steps):
            _arrow(ax, (x + w / 2, y), (x + w / 2, y - gap))
        if step.lost and any(loss.count for loss in step.lost):
            _arrow(ax, (x + w / 2, y - gap / 2), (0.5, y - gap / 2))
            _box(ax, 0.5, y - gap / 2 - height / 2, 0.47, height, _loss_text(flow, index), 7.5)
    arms = flow.arms or (("no arm", 0),)
    width = 0.9 / len(arms)
    bottom = 0.01
    top_of_last = 0.99 - len(steps) * height - (len(steps) - 1) * gap
    for index, (arm, count) in enumerate(arms):
        left = 0.05 + index * width
        _box(ax, left + 0.01, bottom, width - 0.02, height, f"{arm}\nn = {count}", 8.5)
        _arrow(ax, (x + w / 2, top_of_last), (left + width / 2, bottom + height))
    return fig


def flow_alt_text(flow: StudyFlow) -> str:
    """A text alternative: the steps and arms with their counts."""
    steps = ", ".join(f"{step.label.lower()} {step.count}" for step in flow.steps)
    arms = ", ".join(f"{arm} {count}" for arm, count in flow.arms)
    return (
        f"Study flow of {flow.protocol_id}: {steps}; by arm: {arms}. "
        "The table below gives the losses and reasons."
    )


def flow_svg_uri(flow: StudyFlow) -> str:
    """The flow figure as an SVG data URI."""
    figure = flow_figure(flow)
    assert isinstance(figure, Figure)
    return "data:image/svg+xml;base64," + base64.b64encode(figure_svg(figure)).decode("ascii")
