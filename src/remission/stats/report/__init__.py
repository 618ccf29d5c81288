"""The study report: the trial's survival and competing-risk analyses from the endpoint dataset.

:func:`build_report` runs the analyses of :data:`ANALYSES` on a dataset the caller derived (the
report never queries the database) and returns a :class:`StudyReport`; :func:`write_html` and
:func:`write_pdf` write it. ``docs/report.md`` describes the contents.
"""

from __future__ import annotations

from remission.stats.report.build import (
    MIN_GROUP_SIZE,
    REPORT_YEARS,
    YEAR_DAYS,
    StudyReport,
    as_frame,
    build_report,
)
from remission.stats.report.definitions import ANALYSES, REQUIRED_COLUMNS, AnalysisDefinition
from remission.stats.report.estimates import ALL, AnalysisResult, Cell, GroupRow, GroupTest, run_analysis
from remission.stats.report.figures import AtRiskTable, alt_text, analysis_svg_uri, at_risk_table
from remission.stats.report.formatting import NOT_ESTIMABLE
from remission.stats.report.html import render_html, write_html
from remission.stats.report.json_report import report_dict, write_json
from remission.stats.report.pdf import write_pdf

__all__ = [
    "ALL",
    "ANALYSES",
    "MIN_GROUP_SIZE",
    "NOT_ESTIMABLE",
    "REPORT_YEARS",
    "REQUIRED_COLUMNS",
    "YEAR_DAYS",
    "AnalysisDefinition",
    "AnalysisResult",
    "AtRiskTable",
    "Cell",
    "GroupRow",
    "GroupTest",
    "StudyReport",
    "alt_text",
    "analysis_svg_uri",
    "as_frame",
    "at_risk_table",
    "build_report",
    "render_html",
    "report_dict",
    "run_analysis",
    "write_html",
    "write_json",
    "write_pdf",
]
