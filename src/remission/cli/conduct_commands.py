"""``remission due``: a site's worklist of assessments that are overdue or due, from the protocols' schedules.

Reads as the operator unless ``--as-user`` names an account (then only what that account may
read). Each line is one assessment of one patient: its state, its window and the protocol.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from remission.cli import render
from remission.cli.account_commands import account_actor
from remission.cli.flags import flag
from remission.cli.inputs import parse_date
from remission.cli.store_commands import DatabaseOption
from remission.errors import FieldProblem, InputError
from remission.store import NotFound, Store, site_worklist

out = Console(soft_wrap=True, highlight=False)


def due(
    site: Annotated[str, typer.Option("--site", help="Site code, e.g. SEV.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default today).")] = None,
    database: DatabaseOption = None,
    as_user: Annotated[str | None, typer.Option("--as-user", help="Read as this account.")] = None,
    json_output: Annotated[bool, flag("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List what is overdue and due at a site, from the protocols' schedules of assessments."""
    on = parse_date(as_of, option="--as-of")
    store = Store.open(database, migrated=True)
    try:
        actor = account_actor(store, as_user, option="--as-user")
        with store.session(actor) as session:
            lines = site_worklist(session, site_code=site, as_of=on)
    except NotFound:
        raise InputError("--site", [FieldProblem(site, "no such site")]) from None
    finally:
        store.engine.dispose()
    if json_output:
        render.print_json([line.to_dict() for line in lines])
        return
    table = Table(title=f"{site} · assessments overdue or due on {on}")
    for column in ("patient", "assessment", "for", "state", "window", "protocol"):
        table.add_column(column, overflow="fold")
    for line in lines:
        item = line.item
        window = f"{item.due_from} to {item.due_until}"
        table.add_row(
            line.study_id, item.label, item.occurrence or "—", item.state.value, window, line.protocol_id
        )
    out.print(table if lines else f"nothing overdue or due at {site} on {on}")
