"""Writing the study report as one self-contained HTML file (plots embedded as SVG data URIs)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.figure import Figure

from remission import __version__
from remission.stats.plots import axis_end, figure_svg, number_at_risk, tick_times
from remission.stats.report.build import StudyReport
from remission.stats.report.estimates import ALL, AnalysisResult
from remission.stats.report.figures import alt_text, analysis_figure
from remission.stats.report.formatting import NOT_ESTIMABLE

_ENVIRONMENT = Environment(
    loader=PackageLoader("remission.stats.report", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _svg_uri(result: AnalysisResult, year_days: float) -> str | None:
    figure = analysis_figure(result, year_days=year_days)
    if not isinstance(figure, Figure):
        return None
    return "data:image/svg+xml;base64," + base64.b64encode(figure_svg(figure)).decode("ascii")


def _at_risk(result: AnalysisResult, year_days: float) -> dict[str, Any] | None:
    """The plot's number-at-risk table, for readers who cannot see the image."""
    if result.fit is None:
        return None
    ticks = tick_times(axis_end(None, float(np.max(result.time))), year_days)
    counts = number_at_risk(result.time, ticks, group=result.group)
    labels = counts.labels if result.group is not None else (ALL,)
    return {
        "years": [f"{t / year_days:g}" for t in ticks],
        "rows": list(zip(labels, counts.rows, strict=True)),
    }


def render_html(report: StudyReport) -> str:
    """The report as an HTML document (UTF-8 text)."""
    sections = [
        {
            "result": result,
            "figure": _svg_uri(result, report.year_days),
            "alt": alt_text(result),
            "at_risk": _at_risk(result, report.year_days),
            "incidence": result.definition.kind == "incidence",
        }
        for result in report.analyses
    ]
    template = _ENVIRONMENT.get_template("report.html")
    return template.render(
        report=report,
        sections=sections,
        version=__version__,
        not_estimable=NOT_ESTIMABLE,
        days=[f"{t:g}" for t in report.times_days],
    )


def write_html(report: StudyReport, path: Path | str) -> Path:
    """Write :func:`render_html` to ``path``; return the path."""
    target = Path(path)
    target.write_text(render_html(report), encoding="utf-8")
    return target
