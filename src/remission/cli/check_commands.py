"""``remission checks``: the protocols' edit checks, run over the whole study or listed.

``run`` checks every stored course row the reader may see (at one site with ``--site``), opens a
data query for each check that fires on an item without an open one, and notes on open automatic
queries when their check is satisfied again (a person still closes them). ``--no-queries`` only
reports. Progress goes to stderr; input problems exit with status 2.
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
from remission.protocols import load_protocol, shipped_protocol_ids
from remission.store import NotFound, Store, run_checks_and_queries

checks_app = typer.Typer(help="The protocols' edit checks: list them, run them over the study.")
out = Console(soft_wrap=True, highlight=False)
progress = Console(stderr=True, soft_wrap=True, highlight=False)


@checks_app.command("run")
def run(
    site: Annotated[str | None, typer.Option("--site", help="Only this site's patients.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default today).")] = None,
    database: DatabaseOption = None,
    as_user: Annotated[str | None, typer.Option("--as-user", help="Run as this account.")] = None,
    no_queries: Annotated[bool, flag("--no-queries", help="Report only; open and note no query.")] = False,
    json_output: Annotated[bool, flag("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Run every edit check on every stored course row; open data queries for those that fire."""
    on = parse_date(as_of, option="--as-of")
    store = Store.open(database, migrated=True)

    def tell(done: int, total: int) -> None:
        progress.print(f"checked {done} of {total} patients")

    try:
        actor = account_actor(store, as_user, option="--as-user")
        with store.session(actor) as session:
            outcome = run_checks_and_queries(
                session, as_of=on, site_code=site, open_queries=not no_queries, progress=tell
            )
    except NotFound:
        raise InputError("--site", [FieldProblem(str(site), "no such site")]) from None
    finally:
        store.engine.dispose()
    if json_output:
        render.print_json(outcome.to_dict())
        return
    counts = Table(title=f"Edit checks on {outcome.run.rows} rows of {outcome.run.patients} patients, {on}")
    for column in ("check", "passed", "fired", "unknown"):
        counts.add_column(column, overflow="fold")
    for check, tally in sorted(outcome.run.outcomes.items()):
        counts.add_row(check, *(str(tally.get(name, 0)) for name in ("passed", "fired", "unknown")))
    out.print(counts)
    for finding in outcome.run.findings:
        where = f"{finding.study_id} {finding.form} #{finding.row_id} {finding.result.check.field}"
        out.print(f"[{finding.result.check.severity.value}] {where}: {finding.result.explanation.text}")
    out.print(
        f"data queries opened: {outcome.opened}; already open: {outcome.already_open}; "
        f"noted as satisfied: {outcome.noted}"
        if not no_queries
        else "no data queries opened or noted (--no-queries)"
    )


@checks_app.command("list")
def list_checks(
    protocol: Annotated[str | None, typer.Option("--protocol", "-p", help="Protocol id.")] = None,
    json_output: Annotated[bool, flag("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the edit checks of the shipped protocols (or one): form, field, hard or soft, message."""
    ids = shipped_protocol_ids() if protocol is None else [protocol]
    if protocol is not None and protocol not in shipped_protocol_ids():
        raise InputError("--protocol", [FieldProblem(protocol, "no such protocol")])
    checks = [(pid, check) for pid in ids for check in load_protocol(pid).edit_checks]
    if json_output:
        render.print_json(
            [{"protocol": pid} | check.model_dump(mode="json", by_alias=True) for pid, check in checks]
        )
        return
    table = Table(title="Edit checks")
    for column in ("protocol", "check", "form", "field", "severity", "message"):
        table.add_column(column, overflow="fold")
    for pid, check in checks:
        table.add_row(pid, check.id, check.form.value, check.field, check.severity.value, check.message)
    out.print(table)
