"""The PDF pages of the study flow, the baseline table and the adverse-event table (A4, matplotlib)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from matplotlib.figure import Figure

from remission.stats.report.adverse_events import AdverseEventTable
from remission.stats.report.baseline import BaselineTable
from remission.stats.report.consort import StudyFlow
from remission.stats.report.flow_figure import flow_figure

_A4 = (8.27, 11.69)


def _table_page(
    title: str,
    text: str,
    header: Sequence[str],
    rows: list[list[str]],
    text_widths: Sequence[float],
    font: float = 6.5,
) -> Figure:
    """A page with a title, a paragraph and the table, sized to the page width: the first columns
    (labels) take ``text_widths`` (fractions of it), the numeric ones share the rest."""
    page = Figure(figsize=_A4)
    page.text(0.06, 0.96, title, fontsize=13, fontweight="bold", va="top")
    lines = textwrap.wrap(text, 110)
    page.text(0.06, 0.93, "\n".join(lines), fontsize=8, va="top", linespacing=1.4)
    if not rows:
        return page  # the text says there is nothing to list
    top = 0.91 - 0.018 * len(lines)
    height = min(top - 0.03, 0.021 * (len(rows) + 1))
    ax = page.add_axes((0.04, top - height, 0.92, height))
    ax.axis("off")
    text_columns = len(text_widths)
    numeric = len(header) - text_columns
    widths = [*text_widths, *[(1 - sum(text_widths)) / numeric] * numeric]
    labels = ["\n".join(textwrap.wrap(label, 16)) for label in header]
    table = ax.table(
        cellText=rows, colLabels=labels, colWidths=widths, loc="upper left", cellLoc="right", colLoc="right"
    )
    table.auto_set_font_size(False)
    table.set_fontsize(font)
    for (row, column), cell in table.get_celld().items():
        if column < text_columns:
            cell.set_text_props(ha="left")
            cell.PAD = 0.02
        if row == 0:
            cell.set_height(cell.get_height() * 2.5)
    return page


def flow_page(flow: StudyFlow, as_of: str) -> Figure:
    """The study flow: the boxes-and-arrows figure, then every loss with its reason."""
    page = Figure(figsize=_A4)
    top, bottom = page.subfigures(2, 1, height_ratios=[1.6, 1.0], squeeze=False)[:, 0]
    top.text(
        0.06,
        0.98,
        f"Study flow ({flow.protocol_id}), data cut {as_of}",
        fontsize=13,
        fontweight="bold",
        va="top",
    )
    flow_figure(flow, figure=top.subfigures(1, 1, squeeze=False)[0, 0])
    lines = []
    for step in flow.steps:
        lines.append(f"{step.label}: {step.count}")
        for loss in step.lost:
            detail = ", ".join(f"{name} {count}" for name, count in loss.detail)
            lines.append(f"    lost, {loss.reason}: {loss.count}" + (f" ({detail})" if detail else ""))
    lines += [f"Arm {arm}: {count}" for arm, count in flow.arms]
    wrapped = [part for line in lines for part in textwrap.wrap(line, 110, subsequent_indent="        ")]
    bottom.text(0.06, 0.95, "\n".join(wrapped), fontsize=8, va="top", linespacing=1.4)
    return page


def baseline_page(table: BaselineTable, as_of: str) -> Figure:
    """The baseline characteristics of enrolled patients by risk group."""
    rows = [
        [("n" if row.variable == "n" else f"{row.variable}: {row.label}"), *row.texts] for row in table.rows
    ]
    text = (
        f"Enrolled patients by current risk group, data cut {as_of}. Median (IQR) over recorded values, as R "
        "quantile(type = 7); age in months = days / 30.4375. Counts with the column percentage. Missing "
        "values are counted as 'not recorded', never in a category."
    )
    return _table_page(
        "Baseline characteristics by risk group", text, ["Characteristic", *table.columns], rows, (0.3,)
    )


#: Rows of a table on one A4 page; longer tables continue on the next pages.
ROWS_PER_PAGE = 40


def adverse_event_pages(table: AdverseEventTable, as_of: str) -> list[Figure]:
    """Patients by worst grade per CTCAE term and arm, :data:`ROWS_PER_PAGE` rows a page."""
    sizes = dict(table.arms)
    rows = [
        [
            row.term,
            row.terminology,
            f"{row.arm} ({sizes[row.arm]})",
            *map(str, row.by_grade),
            str(row.grade_3_or_more),
        ]
        for row in table.rows
    ]
    text = (
        f"Enrolled patients with an adverse event with onset by the data cut {as_of}, by arm of the current "
        "assignment (in brackets: enrolled patients in the arm). A patient is counted once per term, at the "
        f"worst grade. Terminology: {', '.join(table.terminologies) or 'no adverse event recorded'}."
    )
    header = ["Term", "Terminology", "Arm (patients)", "G1", "G2", "G3", "G4", "G5", "Any ≥ 3"]
    title = "Adverse events by arm and worst grade"
    chunks = [rows[start : start + ROWS_PER_PAGE] for start in range(0, len(rows), ROWS_PER_PAGE)] or [[]]
    return [
        _table_page(title + (" (continued)" if index else ""), text, header, chunk, (0.17, 0.1, 0.33))
        for index, chunk in enumerate(chunks)
    ]
