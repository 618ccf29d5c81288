"""The demo run by ``make run``: screen and stratify every example patient."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from remission.cli.demo_store import load_examples
from remission.cli.inputs import read_records
from remission.protocols import Protocol, screen_patients, stratify_patients
from remission.store.database import Store


def run_demo(
    console: Console, examples: Path, protocol: Protocol, *, as_of: date, store: Store | None = None
) -> None:
    """Print one row per example record: verdict, what blocks or is unknown, risk group.

    With a ``store``, also load the examples into it (enrolling the eligible ones) and
    summarise what the store holds.
    """
    records = read_records([examples], today=date.today())
    screened = screen_patients(records, protocol, as_of=as_of)
    stratified = stratify_patients(records, protocol, as_of=as_of)
    table = Table(
        title=f"{len(records)} example patients · {protocol.id} v{protocol.version}", show_lines=True
    )
    for column in (
        "study id",
        "verdict",
        "failing / unresolved",
        "risk group",
        "arm",
        "track",
        "waiting for",
    ):
        table.add_column(column, overflow="fold")
    for screening, strata in zip(screened, stratified, strict=True):
        problems = ", ".join(screening.failing or screening.unresolved) or "-"
        track = strata.provisional_track or "-"
        if strata.track_change:
            track += " (changed)"
        cells = (
            screening.study_id,
            screening.verdict.value,
            problems,
            strata.risk_group,
            strata.arm or "-",
            track,
            ", ".join(strata.missing) or "-",
        )
        table.add_row(*(Text(cell) for cell in cells))
    console.print(table)
    console.print(
        "Details: remission screen RECORD.json --protocol ID, remission stratify RECORD.json "
        "--protocol ID (add --json for machines)."
    )
    if store is not None:
        summary = load_examples(store, records, [s.verdict for s in screened], protocol)
        console.print(
            Text(
                f"Study store {store.engine.url.render_as_string()}: {summary['patients']} patients; "
                f"latest risk groups {summary['risk_groups']}; audit trail "
                f"{'intact' if summary['audit_intact'] else 'BROKEN'} ({summary['audit_entries']} entries). "
                "Serve it with: remission serve"
            ),
            soft_wrap=True,
        )
