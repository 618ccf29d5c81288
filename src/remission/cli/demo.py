"""The demo run by ``make run``: screen and stratify every example patient.

With a store, the demo also loads the example patients and the synthetic cohort of
:mod:`remission.demo` (``SYN-…``: outcomes from arbitrary demo parameters, not clinical
facts), so ``remission report`` has outcomes to analyse. In development (``REMISSION_ENV``, as
for ``remission web --demo``) it makes the demo logins before the daily-conduct examples, so
their queries and serious adverse event are in the inboxes when ``make run`` serves the pages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from remission.cli.inputs import read_records
from remission.demo import DEMO_PASSWORD, load_examples, synthetic_cohort
from remission.protocols import Protocol, screen_patients, stratify_patients
from remission.store import Store


def group_counts(counts: Mapping[str, object], protocol: Protocol) -> str:
    """``HR 72, IR 117, …``: the counts in the protocol's group order, other states (pending…) last."""
    order = [group.id for group in protocol.stratification.risk_groups] if protocol.stratification else []
    ranked = sorted(counts, key=lambda group: (order.index(group) if group in order else len(order), group))
    return ", ".join(f"{group} {counts[group]}" for group in ranked)


def demo_logins_allowed() -> bool:
    """Whether the demo may make its logins: in development only, as ``remission web --demo``."""
    return os.environ.get("REMISSION_ENV", "development") == "development"


def run_demo(
    console: Console, examples: Path, protocol: Protocol, *, as_of: date, store: Store | None = None
) -> None:
    """Print one row per example record: verdict, what blocks or is unknown, risk group.

    With a ``store``, also load the examples into it (enrolling the eligible ones) and the
    synthetic demo cohort, and summarise what the store holds; in development, with the demo
    logins made before the daily-conduct examples (:func:`demo_logins_allowed`).
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
        verdicts = [s.verdict for s in screened]
        logins = demo_logins_allowed()
        summary = load_examples(
            store, records, verdicts, protocol, synthetic=synthetic_cohort(), accounts=logins
        )
        groups = summary["risk_groups"]
        assert isinstance(groups, Mapping)
        url = store.redacted_url
        console.print(
            Text(
                f"Study store {url}: {summary['examples']} patients from "
                f"the examples and {summary['synthetic']} synthetic patients (SYN-…, outcomes from "
                "arbitrary demo parameters, not clinical facts); "
                f"current risk groups {group_counts(groups, protocol)}; audit trail "
                f"{'intact' if summary['audit_intact'] else 'BROKEN'} ({summary['audit_entries']} entries). "
                f"Serve the web app and the API with: remission web --database {url} "
                f"(make run does). Study report: remission report --database {url} --out report"
            ),
            soft_wrap=True,
        )
        if logins:
            console.print(
                Text(
                    f"Demo logins (development only, password {DEMO_PASSWORD}): remission web --demo "
                    "lists them; the demo's queries and serious adverse event are in their inboxes."
                ),
                soft_wrap=True,
            )
