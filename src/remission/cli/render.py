"""Rich renderings of results for people; machines get ``--json``."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.table import Table
from rich.text import Text

from remission.protocols import Protocol, ScreeningResult, StratificationResult

_STATUS_STYLE = {"met": "green", "not met": "red", "unknown": "yellow"}
_VERDICT_STYLE = {"eligible": "bold green", "not eligible": "bold red", "needs review": "bold yellow"}


def print_json(payload: Any) -> None:
    """Write JSON for machines: plain text, never wrapped or coloured."""
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def screening_table(result: ScreeningResult) -> Table:
    table = Table(
        title=f"{result.study_id} · {result.protocol_id} v{result.protocol_version}"
        f" · screened {result.screened_on}",
        caption=Text(result.verdict.value.upper(), style=_VERDICT_STYLE[result.verdict.value]),
        show_lines=True,
    )
    table.add_column("criterion", no_wrap=True)
    table.add_column("kind")
    table.add_column("status", no_wrap=True)
    table.add_column("reason")
    for criterion in result.criteria:
        style = _STATUS_STYLE[criterion.status.value]
        if criterion.blocks:
            style = "bold red"
        table.add_row(
            criterion.id, criterion.kind, Text(criterion.status.value, style=style), Text(criterion.reason)
        )
    return table


def stratification_table(result: StratificationResult) -> Table:
    title = f"{result.study_id} · {result.protocol_id} v{result.protocol_version}"
    group = result.risk_group if result.arm is None else f"{result.risk_group} → {result.arm}"
    caption = f"risk group: {group}"
    if result.missing:
        caption += f" · waiting for: {', '.join(result.missing)}"
    if result.track_change:
        caption += (
            f" · track change: {result.track_change['from_track']} → {result.track_change['to_arm']}"
            f" (given outside the arm: {', '.join(result.track_change['phases_not_in_arm'])})"
        )
    table = Table(title=title, caption=Text(caption), show_lines=True)
    table.add_column("time point", no_wrap=True)
    table.add_column("rule → outcome", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("test")
    for point in result.time_points:
        for rule in point.rules:
            status = rule.evaluation.truth.value
            table.add_row(
                point.id,
                rule.outcome,
                Text(status, style=_STATUS_STYLE[status]),
                Text(_flat(rule.evaluation.to_dict())),
            )
        table.add_row(point.id, Text(f"= {point.outcome}", style="bold"), "", Text(point.label))
    return table


def screening_words(result: ScreeningResult) -> list[str]:
    """The screening in sentences: the verdict, then one sentence per criterion."""
    head = (
        f"{result.study_id} · {result.protocol_id} v{result.protocol_version} · screened {result.screened_on}"
    )
    lines = [f"{head}: {result.verdict.value.upper()}"]
    for criterion in result.criteria:
        if criterion.explanation is not None:
            lines.extend(_bulleted(criterion.explanation.lines()))
    return lines


def _bulleted(lines: list[str]) -> list[str]:
    return [f"- {lines[0]}", *(f"  {line}" for line in lines[1:])]


def stratification_words(result: StratificationResult) -> list[str]:
    """The risk assignment in sentences: group and arm with the date of the data, each time
    point's outcome, then one sentence per rule."""
    head = f"{result.study_id} · {result.protocol_id} v{result.protocol_version}"
    group = result.risk_group if result.arm is None else f"{result.risk_group} → {result.arm}"
    dated = f", from data dated {result.data_date}" if result.data_date else ""
    lines = [f"{head}: risk group {group}{dated}"]
    lines.extend(f"* {point.summary}" for point in result.time_points)
    for explanation in result.explanation():
        lines.extend(_bulleted(explanation.lines()))
    return lines


def _flat(node: dict[str, Any], depth: int = 0) -> str:
    line = "  " * depth + f"{node['test']}: {node['outcome']}"
    return "\n".join([line, *(_flat(child, depth + 1) for child in node.get("children", []))])


def protocol_summary(protocol: Protocol) -> dict[str, Any]:
    strat = protocol.stratification
    return {
        "id": protocol.id,
        "title": protocol.title,
        "version": protocol.version,
        "criteria": len(protocol.eligibility or []),
        "risk_groups": [g.id for g in strat.risk_groups] if strat else [],
        "arms": [a.id for a in protocol.arms],
    }


def protocol_tables(protocol: Protocol) -> list[Table]:
    provenance = Table(title=f"{protocol.id} v{protocol.version}: {protocol.title}", show_header=False)
    provenance.add_column(style="bold")
    provenance.add_column()
    provenance.add_row("registry id", protocol.provenance.registry_id or "-")
    provenance.add_row("encoded", f"{protocol.provenance.encoded_on} by {protocol.provenance.encoded_by}")
    for source in protocol.provenance.sources:
        provenance.add_row(f"source {source.id}", source.citation)
    for question in protocol.provenance.open_questions:
        provenance.add_row(f"open: {question.id}", Text(question.text))
    parameters = Table(title="parameters")
    for column in ("name", "value", "unit", "basis"):
        parameters.add_column(column)
    for name, parameter in protocol.parameters.items():
        basis = "; ".join(
            part
            for part in (
                "ASSUMPTION" if parameter.assumption else "",
                f"source {parameter.source}" if parameter.source else "",
            )
            if part
        )
        parameters.add_row(name, json.dumps(parameter.value), parameter.unit or "", basis)
    tables = [provenance, parameters]
    if protocol.eligibility is not None:
        criteria = Table(title="eligibility", show_lines=True)
        for column in ("id", "kind", "decided", "verbatim text"):
            criteria.add_column(column, overflow="fold")
        for criterion in protocol.eligibility:
            criteria.add_row(
                criterion.id, criterion.kind.value, criterion.decided.value, Text(criterion.text)
            )
        tables.append(criteria)
    if protocol.phases:
        phases = Table(title="phases", show_lines=True)
        for column in ("phase", "duration", "drugs", "note"):
            phases.add_column(column, overflow="fold")
        for phase in protocol.phases:
            duration = phase.duration
            length = "not published"
            if duration is not None:
                length = f"{'about ' if duration.approximate else ''}{duration.value:g} {duration.unit}"
            phases.add_row(phase.label, length, Text(", ".join(phase.drugs) or "-"), Text(phase.note or ""))
        tables.append(phases)
    if protocol.stratification is not None:
        groups = Table(title="risk groups")
        for column in ("group", "label", "arm", "phases"):
            groups.add_column(column, overflow="fold")
        arms = {arm.id: arm for arm in protocol.arms}
        for group in protocol.stratification.risk_groups:
            arm = arms.get(group.arm or "")
            groups.add_row(group.id, group.label, group.arm or "-", " → ".join(arm.phases) if arm else "-")
        tables.append(groups)
    return tables
