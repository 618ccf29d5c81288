"""The study report: the trial's survival and competing-risk analyses from the endpoint dataset,
with the study flow, the baseline table and the adverse-event table.

:func:`build_report` runs the analyses of :data:`ANALYSES` on a dataset the caller derived (the
report never queries the database) and returns a :class:`StudyReport`; :func:`write_html` and
:func:`write_pdf` write it. ``docs/report.md`` describes the contents.
"""

from __future__ import annotations

from remission.stats.report.adverse_events import AdverseEventTable, TermRow, adverse_event_table
from remission.stats.report.baseline import BaselineRow, BaselineTable, Quartiles, baseline_table
from remission.stats.report.build import (
    MIN_GROUP_SIZE,
    REPORT_YEARS,
    YEAR_DAYS,
    StudyReport,
    as_frame,
    build_report,
)
from remission.stats.report.consort import FlowStep, Loss, StudyFlow, study_flow
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
    "AdverseEventTable",
    "AnalysisDefinition",
    "AnalysisResult",
    "AtRiskTable",
    "BaselineRow",
    "BaselineTable",
    "Cell",
    "FlowStep",
    "GroupRow",
    "GroupTest",
    "Loss",
    "Quartiles",
    "StudyFlow",
    "StudyReport",
    "TermRow",
    "adverse_event_table",
    "alt_text",
    "analysis_svg_uri",
    "as_frame",
    "at_risk_table",
    "baseline_table",
    "build_report",
    "render_html",
    "report_dict",
    "run_analysis",
    "study_flow",
    "write_html",
    "write_json",
    "write_pdf",
]
