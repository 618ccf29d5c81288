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
    title: str, text: str, header: Sequence[str], rows: list[list[str]], font: float = 7.0
) -> Figure:
    page = Figure(figsize=_A4)
    page.text(0.06, 0.96, title, fontsize=13, fontweight="bold", va="top")
    lines = textwrap.wrap(text, 110)
    page.text(0.06, 0.93, "\n".join(lines), fontsize=8, va="top", linespacing=1.4)
    top = 0.91 - 0.018 * len(lines)
    height = min(top - 0.03, 0.021 * (len(rows) + 1))
    ax = page.add_axes((0.04, top - height, 0.92, height))
    ax.axis("off")
    table = ax.table(cellText=rows, colLabels=list(header), loc="upper left", cellLoc="right", colLoc="right")
    table.auto_set_font_size(False)
    table.set_fontsize(font)
    table.auto_set_column_width(list(range(len(header))))
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
        "Baseline characteristics by risk group", text, ["Characteristic", *table.columns], rows
    )


def adverse_event_page(table: AdverseEventTable, as_of: str) -> Figure:
    """Patients by worst grade per CTCAE term and arm."""
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
    return _table_page("Adverse events by arm and worst grade", text, header, rows)
