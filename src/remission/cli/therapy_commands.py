"""``remission therapy RECORD.json``: precision therapy options for one child.

A thin wrapper over :func:`remission.knowledge.therapy_options`; bad input raises
:class:`~remission.errors.InputError`, which ``main`` prints one field per line (exit 2).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from remission.cli import render
from remission.cli.flags import flag
from remission.cli.inputs import parse_date, read_records
from remission.errors import FieldProblem, InputError
from remission.knowledge import (
    Group,
    KnowledgeBase,
    TherapyOption,
    TherapyReport,
    load_knowledge_directory,
    shipped_knowledge_base,
    therapy_options,
    therapy_rows,
)

_STATUS_STYLE = {
    "approved": "bold green",
    "needs review": "bold yellow",
    "off-label": "magenta",
    "adult-only": "red",
    "trial-only": "cyan",
}

out = Console(soft_wrap=False)


def _option_row(rank: str, option: TherapyOption) -> list[Text | str]:
    entry = option.entry
    therapy = entry.therapy
    name = f"{therapy.name}\n({therapy.modality.value})" if therapy else entry.id
    evidence = entry.evidence
    level = f"{evidence.level.value}\n{evidence.assigned_by.value}"
    limits = [
        f"{a.approval.agency} {a.approval.id}: {a.coverage.value} — {a.reason}" for a in option.approvals
    ]
    if not option.approvals:
        limits = ["no approval in the knowledge base: trial-only"]
    if option.missing:
        limits.append(f"record fields to complete: {', '.join(option.missing)}")
    status = Text(option.status_label, style=_STATUS_STYLE[option.status.value])
    return [rank, level, name, Text(option.why), status, Text("\n".join(limits))]


def therapy_table(report: TherapyReport) -> Table:
    """A readable table of the ranked options, then resistance and other findings."""
    ages = report.ages
    age = f"{ages['years']} y ({ages['months']} completed months)" if ages else "age unknown"
    table = Table(
        title=f"{report.study_id} · therapy options on {report.as_of} · {age}",
        caption=f"{len(report.not_applicable)} knowledge-base entries do not apply (biomarker absent or "
        "other disease); use --json for every check and source",
        show_lines=True,
    )
    for column, wrap in (("#", False), ("level", False), ("therapy", False), ("why", True)):
        table.add_column(column, no_wrap=not wrap, overflow="fold")
    table.add_column("status", overflow="fold")
    table.add_column("approvals and limits", overflow="fold")
    for rank, option in enumerate(report.options, start=1):
        table.add_row(*_option_row(str(rank), option))
    for option in report.resistance:
        table.add_row(*_option_row("R", option))
    for option in report.other_findings:
        table.add_row(*_option_row("-", option))
    if not (report.options or report.resistance or report.other_findings):
        table.add_row("-", "", "no option applies", "", "", "")
    return table


def therapy_words(report: TherapyReport) -> list[str]:
    """One line per therapy under its group, with the evidence level and every approval."""
    lines = [f"{report.study_id} · therapy options on {report.as_of}"]
    rows = therapy_rows(report)
    for group in Group:
        members = [row for row in rows if row.group is group]
        lines.append(
            f"{group.value.capitalize()}{'…' if group is Group.WOULD_APPLY_IF else ''} ({len(members)})"
        )
        for row in members:
            approvals = ", ".join(row.approvals)
            lines.append(f"- {row.therapy} (level {row.best_level}; {approvals}): {row.condition}")
    return lines


def _assumptions(report: TherapyReport) -> list[str]:
    seen: dict[str, None] = {}
    for option in (*report.options, *report.resistance, *report.other_findings):
        for approval in option.approvals:
            seen.update(dict.fromkeys(approval.assumptions))
        seen.update(dict.fromkeys(option.entry.assumptions))
    return list(seen)


def therapy(
    record: Annotated[Path, typer.Argument(help="One record JSON file.")],
    json_output: Annotated[bool, flag("--json", help="Print JSON instead of a table.")] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Decision date YYYY-MM-DD for ages (default today).")
    ] = None,
    knowledge: Annotated[
        Path | None,
        typer.Option(
            "--knowledge", help="A directory of knowledge-base YAML files instead of the shipped one."
        ),
    ] = None,
    explain: Annotated[
        bool,
        flag(
            "--explain", help="One line per therapy, grouped: applies now, would apply if…, does not apply."
        ),
    ] = False,
) -> None:
    """Targeted and immune therapy options for one child, ranked by evidence level, with approval limits."""
    on = parse_date(as_of, option="--as-of")
    kb: KnowledgeBase = load_knowledge_directory(knowledge) if knowledge else shipped_knowledge_base()
    records = read_records([record], today=date.today())
    if len(records) != 1:
        raise InputError("RECORD", [FieldProblem(str(record), "give one record file, not a directory")])
    report = therapy_options(records[0], kb, as_of=on)
    if json_output:
        render.print_json(report.to_dict() | {"by_therapy": [row.to_dict() for row in therapy_rows(report)]})
        return
    if explain:
        out.print("\n".join(therapy_words(report)), highlight=False, markup=False, soft_wrap=True)
        return
    out.print(therapy_table(report))
    for line in _assumptions(report):
        out.print(Text(f"• {line}"), soft_wrap=True)
