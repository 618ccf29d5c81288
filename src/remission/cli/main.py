"""Entry point of the ``remission`` command.

Bad input prints one message per field to stderr and exits with status 2; a
traceback means a bug in remission, never in the user's input.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from remission import __version__
from remission.cli import export_commands, render, store_commands, therapy_commands
from remission.cli.analyze_commands import analyze_app
from remission.cli.inputs import parse_date, parse_overrides, read_records, resolve_protocol
from remission.cli.report_commands import report
from remission.cli.trial_commands import trials_app
from remission.cli.web_commands import web
from remission.errors import InputError
from remission.protocols import (
    load_protocol,
    load_protocol_file,
    protocol_json_schema,
    screen_patients,
    shipped_protocol_ids,
    stratify_patients,
)
from remission.record import record_json_schema
from remission.store.errors import NotFound, Refused

app = typer.Typer(help="Risk-adapted pediatric acute leukemia trials.", no_args_is_help=True)
protocol_app = typer.Typer(help="Shipped and local protocol files.", no_args_is_help=True)
record_app = typer.Typer(help="The clinical record format.", no_args_is_help=True)
app.add_typer(protocol_app, name="protocol")
app.add_typer(record_app, name="record")
app.add_typer(store_commands.db_app, name="db")
app.add_typer(store_commands.site_app, name="site")
app.add_typer(store_commands.user_app, name="user")
app.add_typer(store_commands.audit_app, name="audit")
app.add_typer(trials_app, name="trials")
app.add_typer(analyze_app, name="analyze")
app.command()(store_commands.serve)
app.command()(export_commands.export)
app.command()(report)
app.command()(therapy_commands.therapy)
app.command()(web)

out = Console(soft_wrap=False)
err = Console(stderr=True, soft_wrap=True)

RecordPaths = Annotated[list[Path], typer.Argument(help="Record JSON files, or directories of them.")]
ProtocolOption = Annotated[str, typer.Option("--protocol", "-p", help="Protocol id, or a .yaml file.")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Screening date YYYY-MM-DD (default today).")]
ParamOption = Annotated[
    list[str] | None, typer.Option("--param", help="Override a protocol parameter: NAME=VALUE.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _decide(
    engine: Callable[..., list[Any]],
    to_table: Callable[[Any], Table],
    *,
    records: list[Path],
    protocol: str,
    as_of: str | None,
    param: list[str] | None,
    json_output: bool,
) -> None:
    """Run a decision engine over record files and print tables or JSON."""
    chosen = resolve_protocol(protocol, parse_overrides(param or []))
    on = parse_date(as_of, option="--as-of")
    results = engine(read_records(records, today=date.today()), chosen, as_of=on)
    if json_output:
        payloads = [result.to_dict() for result in results]
        render.print_json(payloads[0] if len(payloads) == 1 else payloads)
        return
    for result in results:
        out.print(to_table(result))


@app.command()
def screen(
    records: RecordPaths,
    protocol: ProtocolOption,
    as_of: AsOfOption = None,
    param: ParamOption = None,
    json_output: JsonOption = False,
) -> None:
    """Screen records against a protocol's eligibility: eligible, not eligible or needs review."""
    _decide(
        screen_patients,
        render.screening_table,
        records=records,
        protocol=protocol,
        as_of=as_of,
        param=param,
        json_output=json_output,
    )


@app.command()
def stratify(
    records: RecordPaths,
    protocol: ProtocolOption,
    as_of: AsOfOption = None,
    param: ParamOption = None,
    json_output: JsonOption = False,
) -> None:
    """Assign risk groups and arms; pending until the data each time point needs exist."""
    _decide(
        stratify_patients,
        render.stratification_table,
        records=records,
        protocol=protocol,
        as_of=as_of,
        param=param,
        json_output=json_output,
    )


@protocol_app.command("list")
def protocol_list(json_output: JsonOption = False) -> None:
    """List the shipped protocols."""
    summaries = [render.protocol_summary(load_protocol(pid)) for pid in shipped_protocol_ids()]
    if json_output:
        render.print_json(summaries)
        return
    table = Table(title="shipped protocols")
    for column in ("id", "version", "title", "criteria", "risk groups"):
        table.add_column(column, overflow="fold")
    for s in summaries:
        table.add_row(s["id"], s["version"], s["title"], str(s["criteria"]), ", ".join(s["risk_groups"]))
    out.print(table)


@protocol_app.command("show")
def protocol_show(protocol_id: str, json_output: JsonOption = False) -> None:
    """Show a protocol: provenance, parameters, criteria, risk groups and arms."""
    protocol = resolve_protocol(protocol_id, {})
    if json_output:
        render.print_json(protocol.model_dump(mode="json", by_alias=True, exclude_none=True))
        return
    for table in render.protocol_tables(protocol):
        out.print(table)


@protocol_app.command("validate")
def protocol_validate(path: Path) -> None:
    """Check a protocol file against the schema and its own cross-references."""
    protocol = load_protocol_file(path)
    out.print(f"[green]valid[/green]: {path} ({protocol.id} v{protocol.version})")


@protocol_app.command("schema")
def protocol_schema() -> None:
    """Print the JSON Schema of protocol files."""
    render.print_json(protocol_json_schema())


@record_app.command("schema")
def record_schema() -> None:
    """Print the JSON Schema of patient records."""
    render.print_json(record_json_schema())


@app.command()
def demo(
    examples: Annotated[Path, typer.Option(help="Directory of example records.")] = Path("examples/patients"),
    protocol: Annotated[str, typer.Option("--protocol", "-p")] = "NCT06516679",
    as_of: AsOfOption = None,
    database: Annotated[
        str | None, typer.Option("--database", help="Also load the examples into this study database.")
    ] = None,
) -> None:
    """Screen and stratify the example patients and print a summary."""
    from remission.cli.demo import run_demo
    from remission.store.database import Store, database_url

    store = Store.open(database_url(database)) if database else None
    run_demo(
        out, examples, resolve_protocol(protocol, {}), as_of=parse_date(as_of, option="--as-of"), store=store
    )


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out.print(__version__)
        raise typer.Exit


def main() -> None:
    """Console entry point: input problems exit 2 with a message, never a traceback."""
    try:
        app()
    except InputError as error:
        err.print(f"[bold red]error[/bold red] in {error.source}:", highlight=False)
        for problem in error.problems:
            err.print(f"  {problem.field}: {problem.problem}", highlight=False, markup=False)
        sys.exit(2)
    except (Refused, NotFound) as error:
        err.print(f"[bold red]error[/bold red]: {error}", highlight=False)
        sys.exit(2)
