"""``remission trials``: import registry records, match one child, curate, and saved searches.

Bad input raises :class:`~remission.errors.InputError` (or its subclass ``TrialFileError``);
the entry point prints one line per problem and exits with status 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from remission.cli import render
from remission.cli.flags import flag
from remission.cli.inputs import parse_date
from remission.cli.trial_cohort import match_cohort, match_cohort_on_dask
from remission.errors import FieldProblem, InputError
from remission.trials import (
    ENV_VARIABLE,
    MatchReport,
    Registry,
    Trial,
    WhatsNew,
    default_registry_path,
    delete_search,
    load_curated_file,
    match_trials,
    parse_point,
    read_record_file,
    run_all_searches,
    run_search,
    save_search,
    search_names,
    search_summary,
    trial_json_schema,
)
from remission.trials.geo import Point

if TYPE_CHECKING:
    from remission.cli.trial_notices import SubscriberNotices

trials_app = typer.Typer(
    help="Clinical-trial registry: import ClinicalTrials.gov records, match a child, saved searches.",
    no_args_is_help=True,
)
search_app = typer.Typer(
    help="Saved searches: re-run a child's search and see what is new.", no_args_is_help=True
)
trials_app.add_typer(search_app, name="search")

out = Console(soft_wrap=False)
err = Console(stderr=True, soft_wrap=True)

RegistryOption = Annotated[
    Path | None,
    typer.Option(
        "--registry",
        envvar=ENV_VARIABLE,
        help="Registry folder (default $REMISSION_TRIALS_REGISTRY or ~/.local/share/remission/trials).",
    ),
]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Matching date YYYY-MM-DD (default today).")]
NearOption = Annotated[
    str | None, typer.Option("--near", help="LAT,LON in decimal degrees: report the nearest site and km.")
]
CohortOption = Annotated[
    Path | None, typer.Option("--cohort", help="Screen every record of a Parquet cohort (docs/cohorts.md).")
]
VerdictsFileOption = Annotated[
    Path | None, typer.Option("--out", help="With --cohort: write each record-trial verdict (.parquet/.csv).")
]
JsonOption = Annotated[bool, flag("--json", help="Print JSON instead of tables.")]
# The variable is the store's (remission.store.database.URL_VARIABLE), named here so that the
# trial commands load no database library unless a saved search has someone to tell.
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="REMISSION_DATABASE_URL",
        show_envvar=False,
        help="Study database whose accounts saved searches tell of new trials "
        "(default $REMISSION_DATABASE_URL; without one, nobody is told).",
    ),
]

_VERDICT_STYLE = {"eligible": "bold green", "not eligible": "bold red", "needs review": "bold yellow"}


@contextmanager
def _subscriber_notices(database: str | None) -> Iterator[SubscriberNotices]:
    """The hook that tells saved searches' subscribers of newly matching trials (store loaded here)."""
    from remission.cli.trial_notices import SubscriberNotices

    notices = SubscriberNotices(database, err)
    try:
        yield notices
    finally:
        notices.close()


def _registry(path: Path | None) -> Registry:
    return Registry(path if path is not None else default_registry_path())


def _near(value: str | None) -> Point | None:
    return parse_point(value) if value is not None else None


def _status(trial: Trial) -> str:
    if trial.status is None:
        return "status not sourced"
    return f"{trial.status.overall.value}\n(as of {trial.status.as_of})"


def _title(title: str, limit: int = 60) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def _warn(lines: list[str] | tuple[str, ...], prefix: str = "warning") -> None:
    for line in lines:
        err.print(f"[yellow]{prefix}[/yellow]: {line}", highlight=False)


def match_table(report: MatchReport) -> Table:
    """The ranked trials of one report, with the reasons for each verdict."""
    title = f"{report.study_id} · trials matched {report.matched_on}"
    if report.near is not None:
        title += f" · near {report.near.lat:g},{report.near.lon:g}"
    table = Table(title=title, show_lines=True)
    for column in ("#", "trial", "verdict", "recruitment", "why", "biomarkers"):
        table.add_column(column, overflow="fold")
    if report.near is not None:
        table.add_column("nearest site", overflow="fold")
    for rank, match in enumerate(report.matches, start=1):
        verdict = Text(match.verdict.value, style=_VERDICT_STYLE[match.verdict.value])
        markers = "\n".join(f"{b.label}: {b.finding}" for b in match.matched_biomarkers) or "-"
        why = "\n".join([*match.explanation(), *(f"⚠ {w}" for w in match.warnings)])
        row: list[str | Text] = [
            str(rank),
            f"{match.trial.label}\n{_title(match.trial.title)}",
            verdict,
            _status(match.trial),
            Text(why),
        ]
        row.append(Text(markers))
        if report.near is not None:
            nearest = match.nearest
            row.append(
                f"{nearest.site.label}\n{nearest.distance_km:.0f} km" if nearest else "no site coordinates"
            )
        table.add_row(*row)
    return table


@trials_app.command("import")
def import_trials(
    files: Annotated[list[Path], typer.Argument(help="ClinicalTrials.gov API v2 study JSON files.")],
    registry: RegistryOption = None,
    as_of: AsOfOption = None,
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Import registry records (all files or none), then re-run the saved searches and show what is new."""
    chosen = _registry(registry)
    on = parse_date(as_of, option="--as-of")
    outcomes = chosen.import_files(files, imported_on=date.today())
    with _subscriber_notices(database) as notices:
        news = run_all_searches(chosen, as_of=on, today=date.today(), before_saving=notices)
    if json_output:
        searches = [notices.annotate(n.to_dict()) for n in news]
        render.print_json({"imported": [o.to_dict() for o in outcomes], "searches": searches})
        return
    table = Table(title=f"imported into {chosen.root}")
    for column in ("trial", "change", "from"):
        table.add_column(column, overflow="fold")
    for outcome in outcomes:
        table.add_row(outcome.nct_id, outcome.change, outcome.source)
    out.print(table)
    _print_news(news, notices)


def _print_news(news: list[WhatsNew], notices: SubscriberNotices) -> None:
    if not news:
        out.print("no saved searches to re-run")
    for item in news:
        if not item.anything_new:
            out.print(f"search {item.search} ({item.report.study_id}): nothing new")
            continue
        out.print(f"[bold]search {item.search}[/bold] ({item.report.study_id}): what is new")
        for match in item.newly_matching:
            out.print(f"  new: {match.trial.label} — {match.verdict.value}", highlight=False)
        for change in item.changed:
            out.print(f"  changed: {change.trial_id} — {change.before} → {change.after}", highlight=False)
        for change in item.recruitment_changed:
            line = f"  recruitment: {change.trial_id} — {change.before} → {change.after}"
            out.print(line, highlight=False)
        if item.search in notices.told:
            subscriber, written = notices.told[item.search]
            out.print(f"  told {subscriber} ({written} new in the inbox)", highlight=False, markup=False)


@trials_app.command("match")
def match(
    record: Annotated[Path | None, typer.Argument(help="The child's record JSON.")] = None,
    cohort: Annotated[
        Path | None, typer.Option("--cohort", help="Screen every record of a Parquet cohort.")
    ] = None,
    verdicts_file: Annotated[
        Path | None,
        typer.Option("--out", help="With --cohort: write each record-trial verdict (.parquet/.csv)."),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="With --cohort: 'memory' (one process) or 'dask' (partitioned Parquet, out of core;"
            " --out then names a new directory of Parquet files).",
        ),
    ] = "memory",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="With --engine dask: a Dask scheduler's tcp://HOST:PORT (default: a local cluster).",
        ),
    ] = None,
    near: NearOption = None,
    as_of: AsOfOption = None,
    trial: Annotated[list[str] | None, typer.Option("--trial", help="Only this trial (repeatable).")] = None,
    registry: RegistryOption = None,
    json_output: JsonOption = False,
    explain: Annotated[
        bool, flag("--explain", help="Print why each verdict, in sentences, instead of the table.")
    ] = False,
) -> None:
    """Rank the registry's trials for one child, or screen a whole cohort with --cohort."""
    if (record is None) == (cohort is None):
        problem = FieldProblem("RECORD / --cohort", "give one record file or --cohort FILE")
        raise InputError("trials match", [problem])
    on = parse_date(as_of, option="--as-of")
    chosen = _registry(registry)
    trials = [chosen.trial(t) for t in trial] if trial else chosen.trials()
    if engine not in ("memory", "dask"):
        raise InputError("--engine", [FieldProblem(engine, "choose memory or dask")])
    if scheduler is not None and (engine != "dask" or cohort is None):
        raise InputError("--scheduler", [FieldProblem(scheduler, "only with --cohort and --engine dask")])
    if cohort is not None and engine == "dask":
        match_cohort_on_dask(
            cohort, trials, as_of=on, out=verdicts_file, as_json=json_output, err=err, scheduler=scheduler
        )
        return
    if cohort is not None:
        match_cohort(cohort, trials, as_of=on, out=verdicts_file, as_json=json_output, err=err)
        return
    assert record is not None  # exactly one of record and --cohort was given, checked above
    point = _near(near)
    patient, _ = read_record_file(record, today=date.today())
    report = match_trials(patient, trials, as_of=on, near=point)
    if json_output:
        render.print_json(report.to_dict())
        return
    _warn(report.warnings)
    if explain:
        out.print("\n".join(match_words(report)), highlight=False, markup=False, soft_wrap=True)
        return
    out.print(match_table(report))


def match_words(report: MatchReport) -> list[str]:
    """Each trial's verdict, then the sentences of the criteria that decide it."""
    lines = [f"{report.study_id} · trials matched {report.matched_on}"]
    for rank, found in enumerate(report.matches, start=1):
        lines.append(f"{rank}. {found.trial.label}: {found.verdict.value.upper()}")
        for criterion in found.deciding():
            if criterion.explanation is not None:
                explained = criterion.explanation.lines()
                lines.extend([f"   - {explained[0]}", *(f"   {line}" for line in explained[1:])])
        lines.extend(f"   ⚠ {warning}" for warning in found.warnings)
    return lines


@trials_app.command("list")
def list_trials(registry: RegistryOption = None, json_output: JsonOption = False) -> None:
    """List the trials of the registry: shipped curated trials and imported records."""
    rows = []
    for trial in _registry(registry).trials():
        criteria = trial.protocol.eligibility or []
        computable = sum(1 for c in criteria if c.expression is not None)
        rows.append(
            {  # every value is text or a count; the table below prints them as text
                "id": trial.id,
                "acronym": trial.acronym,
                "title": trial.title,
                "status": trial.status.overall.value if trial.status else None,
                "status_as_of": trial.status.as_of.isoformat() if trial.status else None,
                "origin": trial.origin,
                "criteria": len(criteria),
                "computable": computable,
                "version": trial.version,
            }
        )
    if json_output:
        render.print_json(rows)
        return
    table = Table(title="trials")
    for column in ("trial", "title", "status", "origin", "computable criteria"):
        table.add_column(column, overflow="fold")
    for row in rows:
        label = f"{row['id']} ({row['acronym']})" if row["acronym"] else str(row["id"])
        status = f"{row['status']} ({row['status_as_of']})" if row["status"] else "-"
        counts = f"{row['computable']} of {row['criteria']}"
        table.add_row(label, str(row["title"]), status, str(row["origin"]), counts)
    out.print(table)


@trials_app.command("show")
def show(
    trial_id: Annotated[str, typer.Argument(help="NCT number.")],
    registry: RegistryOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show a trial's provenance, parameters and criteria (verbatim text, how each is decided)."""
    trial = _registry(registry).trial(trial_id)
    if json_output:
        payload = trial.protocol.model_dump(mode="json", by_alias=True, exclude_none=True)
        payload["registry_fields"] = {
            "status": trial.status.model_dump(mode="json") if trial.status else None,
            "origin": trial.origin,
            "sites": [site.model_dump(mode="json", exclude_none=True) for site in trial.sites],
            "biomarkers": [b.model_dump(mode="json", exclude_none=True) for b in trial.biomarkers],
            "warnings": list(trial.warnings),
        }
        render.print_json(payload)
        return
    for table in render.protocol_tables(trial.protocol):
        out.print(table)
    out.print(f"status: {_status(trial).replace(chr(10), ' ')} · origin: {trial.origin}", highlight=False)
    _warn(trial.warnings)


@trials_app.command("validate")
def validate(path: Path) -> None:
    """Check a curated trial file against the schema, the record model and its own references."""
    trial = load_curated_file(path)
    criteria = trial.protocol.eligibility or []
    out.print(f"[green]valid[/green]: {path} ({trial.id} v{trial.version}, {len(criteria)} criteria)")


@trials_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of curated trial files."""
    render.print_json(trial_json_schema())


@search_app.command("save")
def search_save(
    record: Annotated[Path, typer.Argument(help="The child's record JSON.")],
    name: Annotated[str, typer.Option("--name", help="Name of the saved search.")],
    near: NearOption = None,
    link: Annotated[bool, flag("--link", help="Keep the file's path and re-read it each run.")] = False,
    replace: Annotated[bool, flag("--replace", help="Overwrite a search of the same name.")] = False,
    subscriber: Annotated[
        str | None,
        typer.Option(
            "--subscriber", help="Username of the study database to tell of trials that newly match."
        ),
    ] = None,
    as_of: AsOfOption = None,
    registry: RegistryOption = None,
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Save a child's search under a name and run it once; later imports report what is new."""
    if subscriber is not None:
        from remission.cli.trial_notices import NO_DATABASE, check_subscriber

        if database is not None:
            check_subscriber(database, subscriber)
        else:
            _warn([f"--subscriber {subscriber!r} not checked against the study's accounts: {NO_DATABASE}"])
    result = save_search(
        _registry(registry),
        name,
        record_path=record,
        link=link,
        near=_near(near),
        as_of=parse_date(as_of, option="--as-of"),
        today=date.today(),
        replace=replace,
        subscriber=subscriber,
    )
    if json_output:
        render.print_json(result.to_dict())
        return
    out.print(f"saved search {name} ({result.report.study_id})")
    _warn(result.report.warnings)
    out.print(match_table(result.report))


@search_app.command("run")
def search_run(
    names: Annotated[list[str] | None, typer.Argument(help="Searches to run (default: all).")] = None,
    as_of: AsOfOption = None,
    registry: RegistryOption = None,
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Re-run saved searches and report what is new: newly matching trials and changed verdicts."""
    chosen = _registry(registry)
    on = parse_date(as_of, option="--as-of")
    with _subscriber_notices(database) as notices:
        if names:
            news = [
                run_search(chosen, name, as_of=on, today=date.today(), before_saving=notices)
                for name in names
            ]
        else:
            news = run_all_searches(chosen, as_of=on, today=date.today(), before_saving=notices)
    if json_output:
        render.print_json([notices.annotate(item.to_dict()) for item in news])
        return
    _print_news(news, notices)


@search_app.command("list")
def search_list(registry: RegistryOption = None, json_output: JsonOption = False) -> None:
    """List the saved searches."""
    chosen = _registry(registry)
    summaries = [search_summary(chosen, name) for name in search_names(chosen)]
    if json_output:
        render.print_json(summaries)
        return
    table = Table(title=f"saved searches in {chosen.root}")
    for column in ("name", "patient", "record", "near", "subscriber", "saved", "last run"):
        table.add_column(column, overflow="fold")
    for s in summaries:
        near = ",".join(f"{v:g}" for v in s["near"]) if s["near"] else "-"
        record = s["record_path"] or "copy"
        table.add_row(
            s["name"],
            s["study_id"] or "-",
            record,
            near,
            s["subscriber"] or "-",
            s["saved_on"] or "-",
            s["last_run"] or "-",
        )
    out.print(table)


@search_app.command("delete")
def search_delete(name: str, registry: RegistryOption = None) -> None:
    """Delete a saved search."""
    delete_search(_registry(registry), name)
    out.print(f"deleted search {name}")
