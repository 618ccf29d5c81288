"""Entry point of the ``remission`` command.

Bad input prints one message per field to stderr and exits with status 2; a
traceback means a bug in remission, never in the user's input.

The commands over the store, the registry and the analyses live in modules that import
SQLAlchemy, pandas or pyarrow, so they are loaded only when one of them runs (or shows its own
help): ``remission --help`` and ``remission screen`` stay fast. :data:`LAZY` names them, with
the one-line help the command list shows; a test holds that line equal to the command's own.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer
import typer.main
from rich.console import Console
from rich.table import Table
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandInfo, TyperInfo

from remission import __version__
from remission.cli import render, therapy_commands
from remission.cli.flags import flag
from remission.cli.inputs import parse_date, parse_overrides, read_inputs, resolve_protocol
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

if TYPE_CHECKING:
    # Typer builds on its own copy of click; these are the types its groups are written against.
    from typer._click import Command, Context, HelpFormatter


class Lazy(NamedTuple):
    """A command (a function) or command group (a Typer app) loaded from its module when used."""

    module: str
    attribute: str
    help: str


#: The lazily loaded commands and groups, each with the first paragraph of its help.
LAZY = {
    "serve": Lazy(
        "remission.cli.store_commands",
        "serve",
        "Serve the REST API (OpenAPI at /openapi.json); migrate the database first.",
    ),
    "export": Lazy(
        "remission.cli.export_commands",
        "export",
        "Export one de-identified row per patient (OS, EFS, relapse with competing risks), or the study.",
    ),
    "report": Lazy(
        "remission.cli.report_commands",
        "report",
        "Write the study report: EFS, OS, relapse incidence, DFS after HSCT, OS after relapse.",
    ),
    "web": Lazy(
        "remission.cli.web_commands",
        "web",
        "Serve the web pages and the REST API (pages at /, API at /api/v1); migrate the database first.",
    ),
    "casebook": Lazy(
        "remission.cli.casebook_commands",
        "casebook",
        "Write a patient's casebook as a PDF: every form, code, query, signature, SDV status, audit trail.",
    ),
    "due": Lazy(
        "remission.cli.conduct_commands",
        "due",
        "List what is overdue and due at a site, from the protocols' schedules of assessments.",
    ),
    "queries": Lazy(
        "remission.cli.query_commands",
        "queries_app",
        "Data queries (discrepancy notes): list, show, open, answer, close, re-open.",
    ),
    "notify": Lazy(
        "remission.cli.notify_commands",
        "notify_app",
        "Notifications: run the worker (overdue scan and e-mail outbox), scan for overdue assessments.",
    ),
    "checks": Lazy(
        "remission.cli.check_commands",
        "checks_app",
        "The protocols' edit checks: list them, run them over the study.",
    ),
    "missing": Lazy(
        "remission.cli.missing_commands",
        "missing_app",
        "Missing-data codes: why a baseline field, a course-row field or an assessment has no value.",
    ),
    "signatures": Lazy(
        "remission.cli.signature_commands",
        "signatures_app",
        "Electronic signatures (21 CFR Part 11): list, sign, what waits for re-signing, verify.",
    ),
    "locks": Lazy(
        "remission.cli.lock_commands",
        "locks_app",
        "Freeze and lock a form, a casebook, a site or the study; release with a reason.",
    ),
    "consent": Lazy(
        "remission.cli.consent_commands",
        "consent_app",
        "Consent form versions per study, who must re-consent, and the consent actions due.",
    ),
    "sdv": Lazy(
        "remission.cli.sdv_commands",
        "sdv_app",
        "Source data verification: the protocols' SDV plans, what is verified, marking items verified.",
    ),
    "cohort": Lazy(
        "remission.cli.cohort_commands",
        "cohort_app",
        "Cohort files of the study's patients (for remission trials match --cohort).",
    ),
    "db": Lazy("remission.cli.store_commands", "db_app", "Create or migrate the study database."),
    "site": Lazy("remission.cli.store_commands", "site_app", "Study sites."),
    "user": Lazy(
        "remission.cli.account_commands",
        "user_app",
        "User accounts and roles: add, list, deactivate, reactivate, change roles or a password.",
    ),
    "audit": Lazy("remission.cli.audit_commands", "audit_app", "The audit trail."),
    "trials": Lazy(
        "remission.cli.trial_commands",
        "trials_app",
        "Clinical-trial registry: import ClinicalTrials.gov records, match a child, saved searches.",
    ),
    "analyze": Lazy(
        "remission.cli.analyze_commands",
        "analyze_app",
        "Survival and competing-risk analyses (R survival/cmprsk numbers) of a CSV or Parquet cohort.",
    ),
}
#: The order of ``remission --help``'s command list (commands not named here come last).
ORDER = (
    "serve",
    "export",
    "report",
    "cohort",
    "casebook",
    "due",
    "checks",
    "queries",
    "missing",
    "notify",
    "signatures",
    "locks",
    "sdv",
    "consent",
    "therapy",
    "web",
    "screen",
    "stratify",
    "demo",
    "protocol",
    "record",
    "db",
    "site",
    "user",
    "audit",
    "trials",
    "analyze",
)


class LazyGroup(TyperGroup):
    """The root command group: loads a :data:`LAZY` command the first time it is looked up.

    While the group's own help is written, a command not loaded yet is shown by its :data:`LAZY`
    help line instead, so listing the commands imports none of their modules.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        ordered = [name for name in ORDER if name in self.commands or name in LAZY]
        return ordered + [name for name in self.commands if name not in ORDER]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name in self.commands or cmd_name not in LAZY:
            return self.commands.get(cmd_name)
        if self._listing:
            return TyperCommand(cmd_name, help=LAZY[cmd_name].help)
        self.commands[cmd_name] = load_command(cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def load_command(name: str) -> Command:
    """The click command of a :data:`LAZY` entry, built as ``app.command()``/``app.add_typer`` would."""
    lazy = LAZY[name]
    target = getattr(importlib.import_module(lazy.module), lazy.attribute)
    if isinstance(target, typer.Typer):
        return typer.main.get_group_from_info(
            TyperInfo(target, name=name),
            pretty_exceptions_short=app.pretty_exceptions_short,
            suggest_commands=app.suggest_commands,
            rich_markup_mode=app.rich_markup_mode,
        )
    return typer.main.get_command_from_info(
        CommandInfo(name=name, callback=target),
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=app.rich_markup_mode,
    )


app = typer.Typer(cls=LazyGroup, help="Risk-adapted pediatric acute leukemia trials.", no_args_is_help=True)
protocol_app = typer.Typer(help="Shipped and local protocol files.", no_args_is_help=True)
record_app = typer.Typer(help="The clinical record format.", no_args_is_help=True)
app.add_typer(protocol_app, name="protocol")
app.add_typer(record_app, name="record")
app.command()(therapy_commands.therapy)

out = Console(soft_wrap=False)
err = Console(stderr=True, soft_wrap=True)

RecordPaths = Annotated[
    list[Path], typer.Argument(help="Record JSON files or FHIR R4/R4B Bundles, or directories of them.")
]
ProtocolOption = Annotated[str, typer.Option("--protocol", "-p", help="Protocol id, or a .yaml file.")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Screening date YYYY-MM-DD (default today).")]
ParamOption = Annotated[
    list[str] | None, typer.Option("--param", help="Override a protocol parameter: NAME=VALUE.")
]
JsonOption = Annotated[bool, flag("--json", help="Print JSON instead of tables.")]
ExplainOption = Annotated[
    bool, flag("--explain", help="Print the decision in sentences: values, dates, assumptions, sources.")
]


def _decide(
    engine: Callable[..., list[Any]],
    to_table: Callable[[Any], Table],
    to_words: Callable[[Any], list[str]],
    *,
    records: list[Path],
    protocol: str,
    as_of: str | None,
    param: list[str] | None,
    json_output: bool,
    explain: bool,
) -> None:
    """Run a decision engine over record files (or FHIR bundles) and print tables, sentences or JSON.

    A bundle's mapping report is printed before its decision (in JSON, as ``fhir_import``)."""
    chosen = resolve_protocol(protocol, parse_overrides(param or []))
    on = parse_date(as_of, option="--as-of")
    inputs = read_inputs(records, today=date.today(), protocol_id=chosen.id)
    results = engine([record for record, _ in inputs], chosen, as_of=on)
    reports = [report for _, report in inputs]
    if json_output:
        payloads = [
            {**result.to_dict(), "fhir_import": report.to_dict()} if report else result.to_dict()
            for result, report in zip(results, reports, strict=True)
        ]
        render.print_json(payloads[0] if len(payloads) == 1 else payloads)
        return
    for result, report in zip(results, reports, strict=True):
        if report is not None:
            out.print("\n".join(report.lines()), highlight=False, markup=False, soft_wrap=True)
        if explain:
            out.print("\n".join(to_words(result)), highlight=False, markup=False, soft_wrap=True)
        else:
            out.print(to_table(result))


@app.command()
def screen(
    records: RecordPaths,
    protocol: ProtocolOption,
    as_of: AsOfOption = None,
    param: ParamOption = None,
    json_output: JsonOption = False,
    explain: ExplainOption = False,
) -> None:
    """Screen records against a protocol's eligibility: eligible, not eligible or needs review."""
    _decide(
        screen_patients,
        render.screening_table,
        render.screening_words,
        records=records,
        protocol=protocol,
        as_of=as_of,
        param=param,
        json_output=json_output,
        explain=explain,
    )


@app.command()
def stratify(
    records: RecordPaths,
    protocol: ProtocolOption,
    as_of: AsOfOption = None,
    param: ParamOption = None,
    json_output: JsonOption = False,
    explain: ExplainOption = False,
) -> None:
    """Assign risk groups and arms; pending until the data each time point needs exist."""
    _decide(
        stratify_patients,
        render.stratification_table,
        render.stratification_words,
        records=records,
        protocol=protocol,
        as_of=as_of,
        param=param,
        json_output=json_output,
        explain=explain,
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
    from remission.store import Store, database_url

    store = Store.open(database_url(database)) if database else None
    run_demo(
        out, examples, resolve_protocol(protocol, {}), as_of=parse_date(as_of, option="--as-of"), store=store
    )


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, flag("--version", help="Print the version and exit.")] = False,
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
    except Exception as error:
        # Imported here: only the store's commands raise these, and they have loaded the store.
        from remission.store import (
            AccessDenied,
            Conflict,
            Locked,
            NotFound,
            ReasonRequired,
            Refused,
            StorageError,
            VersionConflict,
        )

        if isinstance(error, StorageError):
            # One line with the URL (password hidden) and the fix; the driver's traceback helps no user.
            err.print("[bold red]error[/bold red]: ", end="", highlight=False)
            err.print(error.line, highlight=False, markup=False)
            sys.exit(2)
        if isinstance(error, AccessDenied | ReasonRequired | Conflict | VersionConflict | Locked):
            err.print(f"[bold red]error[/bold red]: {error}", highlight=False, markup=False)
            sys.exit(2)
        if not isinstance(error, Refused | NotFound):
            raise
        err.print(f"[bold red]error[/bold red]: {error}", highlight=False)
        sys.exit(2)
