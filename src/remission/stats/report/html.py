"""Writing the study report as one self-contained HTML file (plots embedded as SVG data URIs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from remission import __version__
from remission.stats.report.build import StudyReport
from remission.stats.report.estimates import AnalysisResult
from remission.stats.report.figures import alt_text, analysis_svg_uri, at_risk_table
from remission.stats.report.flow_figure import flow_alt_text, flow_svg_uri
from remission.stats.report.formatting import NOT_ESTIMABLE

_ENVIRONMENT = Environment(
    loader=PackageLoader("remission.stats.report", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _at_risk(result: AnalysisResult, year_days: float) -> dict[str, Any] | None:
    """The plot's number-at-risk table in the template's shape: years as text, rows."""
    table = at_risk_table(result, year_days=year_days)
    if table is None:
        return None
    return {"years": [f"{t / year_days:g}" for t in table.ticks_days], "rows": list(table.rows)}


def render_html(report: StudyReport) -> str:
    """The report as an HTML document (UTF-8 text)."""
    sections = [
        {
            "result": result,
            "figure": analysis_svg_uri(result, year_days=report.year_days),
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
        flow_figure=flow_svg_uri(report.flow) if report.flow else None,
        flow_alt=flow_alt_text(report.flow) if report.flow else "",
        arm_sizes=dict(report.adverse_events.arms) if report.adverse_events else {},
    )


def write_html(report: StudyReport, path: Path | str) -> Path:
    """Write :func:`render_html` to ``path``; return the path."""
    target = Path(path)
    target.write_text(render_html(report), encoding="utf-8")
    return target
