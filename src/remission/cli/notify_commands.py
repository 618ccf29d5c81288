"""``remission notify``: the notification worker, the overdue scan and the outbox's state.

Thin wrappers over the store: the worker scans for overdue assessments and sends the e-mail
outbox every ``REMISSION_NOTIFY_POLL_SECONDS`` (``--once``: one cycle); ``overdue`` runs the scan
on a date; ``status`` counts the outbox's messages by state. SMTP settings come from the
environment (``REMISSION_SMTP_*``, see ``docs/conduct.md``, "Notifications"); a missing or bad
setting exits 2 with one line naming the variable.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from remission.cli import render
from remission.cli.flags import flag
from remission.cli.inputs import parse_date
from remission.cli.store_commands import DatabaseOption
from remission.store import (
    Actor,
    CycleReport,
    MailSettings,
    Store,
    notify_overdue,
    outbox_counts,
    run_worker,
)

notify_app = typer.Typer(
    help="Notifications: run the worker (overdue scan and e-mail outbox), scan for overdue assessments.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True, highlight=False)
Json = Annotated[bool, flag("--json", help="Print JSON.")]


@notify_app.command("worker")
def worker(
    database: DatabaseOption = None,
    once: Annotated[bool, flag("--once", help="Run one cycle and stop.")] = False,
) -> None:
    """Scan for overdue assessments and send the e-mail outbox, every REMISSION_NOTIFY_POLL_SECONDS."""
    settings = MailSettings.from_environment()
    store = Store.open(database, migrated=True)
    try:
        out.print(f"notification worker: e-mail through {settings.host}:{settings.port} ({settings.tls})")

        def report(cycle: CycleReport) -> None:
            out.print(cycle.line())

        run_worker(store, settings, once=once, report=report)
    finally:
        store.engine.dispose()


@notify_app.command("overdue")
def overdue(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The date (YYYY-MM-DD); default today.")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Tell each site's staff, once, of every assessment overdue on a date."""
    on = parse_date(as_of, option="--as-of")
    store = Store.open(database, migrated=True)
    try:
        with store.session(Actor.for_system("overdue scan")) as session:
            written = notify_overdue(session, as_of=on)
    finally:
        store.engine.dispose()
    out.print(f"overdue notifications written: {written}")


@notify_app.command("status")
def status(database: DatabaseOption = None, json_output: Json = False) -> None:
    """Count the e-mail outbox's messages by state: pending, sending, sent, failed."""
    store = Store.open(database, migrated=True)
    try:
        counts = outbox_counts(store)
    finally:
        store.engine.dispose()
    if json_output:
        render.print_json(counts)
        return
    out.print(", ".join(f"{state}: {count}" for state, count in counts.items()))
