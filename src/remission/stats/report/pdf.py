"""Writing the study report as a PDF with matplotlib's ``PdfPages``: a title page, then one A4 page
per analysis (definitions, the estimate table, the tests and the plot).

matplotlib is already a dependency and needs no system libraries, so the PDF comes from the same
figures as the HTML report.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure, SubFigure

from remission import __version__
from remission.stats.report.build import StudyReport
from remission.stats.report.estimates import AnalysisResult
from remission.stats.report.figures import analysis_figure
from remission.stats.report.formatting import NOT_ESTIMABLE
from remission.stats.report.pdf_tables import adverse_event_pages, baseline_page, flow_page

_A4 = (8.27, 11.69)
_WRAP = 100


def _lines(text: str, width: int = _WRAP) -> list[str]:
    return textwrap.wrap(text, width) or [""]


def _title_page(report: StudyReport) -> Figure:
    page = Figure(figsize=_A4)
    lines = [
        f"Data cut (as-of): {report.as_of.isoformat()}",
        f"Patients in the dataset: {report.patients}; enrolled (analysed): {report.enrolled}",
        f"Protocols: {', '.join(report.protocols)}",
        *(
            [f"Median follow-up (reverse Kaplan–Meier of OS): {report.follow_up.text}"]
            if report.follow_up
            else []
        ),
        "",
        *(line for note in report.notes for line in [*_lines("• " + note), ""]),
        *_lines(
            f"Times are whole days; a year is {report.year_days} days. Cells: estimate ± standard error "
            "(95% confidence interval), in %: Kaplan–Meier with Greenwood's SE and log limits, or "
            "cumulative incidence (Aalen–Johansen) with the variance of R cmprsk::cuminc and log(-log) "
            "limits. Groups are compared with the log-rank or Gray's test."
        ),
        "",
        *_lines(
            f"'{NOT_ESTIMABLE}': the group has fewer than {report.min_group_size} patients, or no one in "
            "it is still followed at that time. No number is shown in its place."
        ),
        "",
        f"remission {__version__}; the numbers can be reproduced from endpoints.parquet.",
    ]
    page.text(0.08, 0.94, report.title, fontsize=18, fontweight="bold", va="top")
    page.text(0.08, 0.89, "\n".join(lines), fontsize=9, va="top", linespacing=1.5)
    return page


def _table_rows(result: AnalysisResult, years: tuple[int, ...]) -> tuple[list[str], list[list[str]]]:
    incidence = result.definition.kind == "incidence"
    header = ["Group", *(["Event"] if incidence else []), "n", "Events", *(f"{y} years" for y in years)]
    rows = [
        [row.group, *([row.cause or ""] if incidence else []), str(row.n), str(row.events)]
        + [cell.text for cell in row.cells]
        for row in result.rows
    ]
    return header, rows


def _analysis_page(report: StudyReport, result: AnalysisResult) -> Figure:
    d = result.definition
    page = Figure(figsize=_A4)
    top, bottom = page.subfigures(2, 1, height_ratios=[1.0, 1.35], squeeze=False)[:, 0]
    text = [
        f"Population: {d.population_text} n = {result.n}; left out (no time, event or group"
        + (f", or group {', '.join(map(str, d.left_out))}" if d.left_out else "")
        + f"): {result.excluded}.",
        f"Origin: {d.origin}",
        f"Endpoint: {d.endpoint}",
        f"Censoring: {d.censoring}",
        *([f"Groups: by {d.group_title}."] if d.group else []),
        f"Data cut: {report.as_of.isoformat()}",
        *([d.note] if d.note else []),
        *([result.message] if result.message else []),
        *(test.text for test in result.tests),
    ]
    wrapped = [line for item in text for line in _lines(item)]
    top.text(0.06, 0.97, d.title, fontsize=13, fontweight="bold", va="top")
    top.text(0.06, 0.90, "\n".join(wrapped), fontsize=8, va="top", linespacing=1.4)
    if result.rows:
        header, rows = _table_rows(result, report.years)
        # Lines of 8 pt at 1.4 spacing take about 0.032 of the upper half-page each.
        below_text = max(0.05, 0.88 - 0.032 * len(wrapped) - 0.03)
        height = min(below_text - 0.02, 0.05 * (len(rows) + 1))
        ax = top.add_axes((0.06, below_text - height, 0.88, height))
        ax.axis("off")
        table = ax.table(cellText=rows, colLabels=header, loc="upper left", cellLoc="right", colLoc="right")
        table.auto_set_font_size(False)
        table.set_fontsize(7.5)
        table.auto_set_column_width(list(range(len(header))))
    if result.fit is not None:
        analysis_figure(result, year_days=report.year_days, figure=bottom)
    return page


def _pages(report: StudyReport) -> list[Figure | SubFigure]:
    cut = report.as_of.isoformat()
    tables: list[Figure | SubFigure] = [
        *([flow_page(report.flow, cut)] if report.flow else []),
        *([baseline_page(report.baseline, cut)] if report.baseline else []),
        *(adverse_event_pages(report.adverse_events, cut) if report.adverse_events else []),
    ]
    return [_title_page(report), *tables, *(_analysis_page(report, result) for result in report.analyses)]


def write_pdf(report: StudyReport, path: Path | str) -> Path:
    """Write the report as a PDF to ``path``; return the path."""
    target = Path(path)
    with PdfPages(target, metadata={"Title": report.title, "Creator": f"remission {__version__}"}) as pdf:
        for page in _pages(report):
            pdf.savefig(page)
    return target
