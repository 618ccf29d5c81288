"""``remission analyze``: survival and competing-risk analyses of any CSV or Parquet cohort file.

Each command reads only the columns it uses, drops the rows that miss a value in one of them (as
R's ``na.omit``; the count goes to stderr, never silently), runs one estimator of
:mod:`remission.stats` and prints readable tables, or with ``--json`` the estimator's JSON. Bad
input — a missing file or column, non-numeric or negative times, codes outside the declared set, no
rows or no events left, a singular design — raises :class:`InputError` naming the option and column,
which ``remission.cli.main`` prints before exiting with status 2.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from remission.cli import render
from remission.cli.flags import flag
from remission.errors import FieldProblem, InputError

if TYPE_CHECKING:
    from remission.stats.cohort_file import Cohort
    from remission.stats.results import Table

analyze_app = typer.Typer(
    help="Survival and competing-risk analyses (R survival/cmprsk numbers) of a CSV or Parquet cohort.",
    no_args_is_help=True,
)
out = Console(soft_wrap=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

Data = Annotated[
    Path, typer.Option("--data", help="Cohort file, one row per subject: .csv, .csv.gz, .tsv or .parquet.")
]
TimeColumn = Annotated[str, typer.Option("--time", help="Column of follow-up times: numbers >= 0, any unit.")]
EventColumn = Annotated[str, typer.Option("--event", help="Column of events: 1 = event, 0 = censored.")]
CauseColumn = Annotated[
    str, typer.Option("--cause", help="Column of causes: 0 = censored, 1..k = the cause of the event.")
]
GroupColumn = Annotated[str | None, typer.Option("--group", help="Column of group labels to compare.")]
EntryColumn = Annotated[
    str | None, typer.Option("--entry", help="Column of late-entry times: at risk on (entry, time].")
]
StrataColumn = Annotated[str | None, typer.Option("--strata", help="Column of strata labels.")]
Covariates = Annotated[
    str,
    typer.Option("--covariates", help="Comma-separated covariate columns (numeric, or see --categorical)."),
]
Categorical = Annotated[
    str,
    typer.Option("--categorical", help="Comma-separated factor columns: term COLUMN=LEVEL per later level."),
]
At = Annotated[str | None, typer.Option("--at", help="Comma-separated times to report, e.g. 365,730,1095.")]
ConfType = Annotated[str, typer.Option("--conf-type", help="Limits: log (R's default), log-log or plain.")]
ConfLevel = Annotated[float, typer.Option("--conf-level", help="Confidence level of the limits.")]
Causes = Annotated[
    str | None,
    typer.Option("--causes", help="Comma-separated causes the data may hold besides 0; others are refused."),
]
Json = Annotated[bool, flag("--json", help="Print JSON instead of tables.")]
Where = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        help="Keep rows where COLUMN OP VALUE holds (OP: = != < <= > >=); repeat to require several, "
        'e.g. --where "enrolled = true" --where "risk_group != pending".',
    ),
]
Plot = Annotated[
    Path | None,
    typer.Option("--plot", help="Also draw the curves with numbers at risk to FILE.png or FILE.svg."),
]
Engine = Annotated[
    str,
    typer.Option(
        "--engine",
        help="memory (default) or dask: run over a partitioned Parquet dataset (--data FILE or DIR) on Dask.",
    ),
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="With --engine dask: the scheduler's tcp://HOST:PORT (default: a local cluster, all cores).",
    ),
]

# Estimator arguments whose name differs from the command-line option that sets them.
_OPTION_OF = {"terms": "--covariates", "landmark_time": "--landmark", "conf_level": "--conf-level"}


@analyze_app.command("km")
def km(
    data: Data,
    time: TimeColumn,
    event: EventColumn,
    group: GroupColumn = None,
    entry: EntryColumn = None,
    strata: StrataColumn = None,
    at: At = None,
    conf_type: ConfType = "log",
    conf_level: ConfLevel = 0.95,
    where: Where = None,
    plot: Plot = None,
    json_output: Json = False,
    engine: Engine = "memory",
    scheduler: Scheduler = None,
) -> None:
    """Kaplan–Meier curves per group (Greenwood SE, medians) and the log-rank test, as R survfit/survdiff."""
    from remission.cli.analyze_dask import dask_engine
    from remission.stats.cohort_file import follow_up
    from remission.stats.kaplan_meier import kaplan_meier
    from remission.stats.logrank import logrank_test

    times = _values(at, "--at")
    _plot_kind(plot)
    if strata and not group:
        raise _option_error("--strata", "needs --group: the stratified log-rank test compares groups")
    if strata and entry:
        raise _option_error("--strata", "R's survdiff takes no late entry; drop --entry or --strata")
    dask = dask_engine(engine, scheduler, {"--where": where, "--plot": plot})
    if dask is not None:
        fit = dask.kaplan_meier(data, time, event, group, entry, strata, conf_type, conf_level)
        _emit(json_output, lambda: fit.to_dict(times), lambda: fit.tables(times))
        return
    roles = {"--time": time, "--event": event, "--group": group, "--entry": entry, "--strata": strata}
    cohort = _load(data, roles, where)
    arguments = {"time": time, "event": event, "group": group, "entry": entry, "strata": strata}
    outcome = follow_up(cohort, time, event=event, entry=entry)
    with _named(cohort, arguments):
        fit = kaplan_meier(
            outcome.time,
            outcome.events(),
            group=_optional(cohort, group),
            entry=outcome.entry,
            conf_type=conf_type,
            conf_level=conf_level,
        )
        if strata and group and len(fit.curves) > 1:
            test = logrank_test(
                outcome.time, outcome.events(), cohort.values(group), strata=cohort.values(strata)
            )
            fit = dataclasses.replace(fit, compare=lambda: test)
    if not any(curve.events for curve in fit.curves):
        _note(f"{cohort.field(event)} has no events (no 1): every curve stays at survival 1")
    if plot is not None:
        from remission.stats.plots import survival_plot

        _write_plot(plot, lambda: survival_plot(fit, time_scale=1.0, time_label=_time_label(time)))
    _emit(json_output, lambda: fit.to_dict(times), lambda: fit.tables(times))


@analyze_app.command("cuminc")
def cuminc(
    data: Data,
    time: TimeColumn,
    cause: CauseColumn,
    group: GroupColumn = None,
    strata: StrataColumn = None,
    at: At = None,
    causes: Causes = None,
    where: Where = None,
    plot: Plot = None,
    json_output: Json = False,
    engine: Engine = "memory",
    scheduler: Scheduler = None,
) -> None:
    """Cumulative incidence per cause and group (Aalen–Johansen) and Gray's test, as R cmprsk::cuminc."""
    from remission.cli.analyze_dask import dask_engine
    from remission.stats.cohort_file import follow_up
    from remission.stats.cumulative_incidence import cumulative_incidence
    from remission.stats.gray_test import gray_test

    times = _values(at, "--at")
    _plot_kind(plot)
    if strata and not group:
        raise _option_error("--strata", "needs --group: Gray's test compares groups within strata")
    dask = dask_engine(engine, scheduler, {"--where": where, "--plot": plot})
    if dask is not None:
        declared = _values(causes, "--causes", codes=True)
        result = dask.cumulative_incidence(data, time, cause, group, strata, declared)
        _emit(json_output, lambda: result.to_dict(times), lambda: result.tables(times))
        return
    cohort = _load(data, {"--time": time, "--cause": cause, "--group": group, "--strata": strata}, where)
    outcome = follow_up(cohort, time, cause=cause, causes=_values(causes, "--causes", codes=True))
    t, codes = outcome.time, outcome.causes()
    with _named(cohort, {"time": time, "cause": cause, "group": group, "strata": strata}):
        result = cumulative_incidence(t, codes, group=_optional(cohort, group))
        if strata and group and result.gray_test is not None:
            test = gray_test(t, codes, cohort.values(group), strata=cohort.values(strata))
            result = dataclasses.replace(result, gray_test=test)
    if plot is not None:
        from remission.stats.plots import incidence_plot

        drawn = tuple(int(code) for code in result.causes)
        _write_plot(
            plot,
            lambda: incidence_plot(
                result,
                t,
                codes,
                group=_optional(cohort, group),
                causes=drawn,
                cause_labels={code: f"cause {code}" for code in drawn},
                time_scale=1.0,
                time_label=_time_label(time),
            ),
        )
    _emit(json_output, lambda: result.to_dict(times), lambda: result.tables(times))


@analyze_app.command("cox")
def cox(
    data: Data,
    time: TimeColumn,
    event: EventColumn,
    covariates: Covariates = "",
    categorical: Categorical = "",
    entry: EntryColumn = None,
    strata: StrataColumn = None,
    ties: Annotated[
        str, typer.Option("--ties", help="Tied times: efron (R's default) or breslow.")
    ] = "efron",
    where: Where = None,
    json_output: Json = False,
    engine: Engine = "memory",
    scheduler: Scheduler = None,
) -> None:
    """Cox proportional hazards regression (Efron or Breslow ties, strata, late entry), as R coxph."""
    from remission.cli.analyze_dask import dask_engine
    from remission.stats.cohort_file import follow_up
    from remission.stats.cox import cox_ph
    from remission.stats.design import design_matrix

    numeric, factors = _columns(covariates), _columns(categorical)
    dask = dask_engine(engine, scheduler, {"--where": where, "--categorical": factors})
    if dask is not None:
        fit = dask.cox(data, time, event, numeric, entry, strata, ties)
        _emit(json_output, fit.to_dict, fit.tables)
        return
    cohort = _load(
        data,
        {
            "--time": time,
            "--event": event,
            "--entry": entry,
            "--strata": strata,
            "--covariates": numeric,
            "--categorical": factors,
        },
        where,
    )
    outcome = follow_up(cohort, time, event=event, entry=entry)
    with _named(cohort, {"time": time, "event": event, "entry": entry, "strata": strata}):
        design = design_matrix(_frame(cohort), numeric, factors)
        fit = cox_ph(
            outcome.time,
            outcome.events(),
            design.matrix,
            design.terms,
            ties=ties,
            entry=outcome.entry,
            strata=_optional(cohort, strata),
        )
    _emit(json_output, fit.to_dict, fit.tables)


@analyze_app.command("finegray")
def finegray(
    data: Data,
    time: TimeColumn,
    cause: CauseColumn,
    covariates: Covariates = "",
    categorical: Categorical = "",
    failcode: Annotated[int, typer.Option("--failcode", help="The cause of interest; others compete.")] = 1,
    causes: Causes = None,
    where: Where = None,
    json_output: Json = False,
) -> None:
    """Fine–Gray subdistribution hazards regression for one cause, as R cmprsk::crr."""
    from remission.stats.cohort_file import follow_up
    from remission.stats.design import design_matrix
    from remission.stats.fine_gray import fine_gray

    numeric, factors = _columns(covariates), _columns(categorical)
    cohort = _load(
        data, {"--time": time, "--cause": cause, "--covariates": numeric, "--categorical": factors}, where
    )
    outcome = follow_up(cohort, time, cause=cause, causes=_values(causes, "--causes", codes=True))
    with _named(cohort, {"time": time, "cause": cause}):
        design = design_matrix(_frame(cohort), numeric, factors)
        fit = fine_gray(outcome.time, outcome.causes(), design.matrix, design.terms, failcode=failcode)
    _emit(json_output, fit.to_dict, fit.tables)


@analyze_app.command("rmst")
def rmst(
    data: Data,
    time: TimeColumn,
    event: EventColumn,
    tau: Annotated[float, typer.Option("--tau", help="Restriction time, in the units of --time.")],
    group: GroupColumn = None,
    entry: EntryColumn = None,
    conf_level: ConfLevel = 0.95,
    where: Where = None,
    json_output: Json = False,
) -> None:
    """Restricted mean survival time up to --tau per group and differences from the first group."""
    from remission.stats.cohort_file import follow_up
    from remission.stats.restricted_mean import restricted_mean

    cohort = _load(data, {"--time": time, "--event": event, "--group": group, "--entry": entry}, where)
    outcome = follow_up(cohort, time, event=event, entry=entry)
    with _named(cohort, {"time": time, "event": event, "group": group, "entry": entry}):
        result = restricted_mean(
            outcome.time,
            outcome.events(),
            tau=tau,
            group=_optional(cohort, group),
            entry=outcome.entry,
            conf_level=conf_level,
        )
    _emit(json_output, result.to_dict, result.tables)


@analyze_app.command("landmark")
def landmark(
    data: Data,
    time: TimeColumn,
    event: EventColumn,
    landmark_time: Annotated[
        float, typer.Option("--landmark", help="Landmark time: keep subjects with time > landmark.")
    ],
    group: GroupColumn = None,
    at: At = None,
    conf_type: ConfType = "log",
    conf_level: ConfLevel = 0.95,
    where: Where = None,
    json_output: Json = False,
) -> None:
    """Kaplan–Meier and log-rank test from a landmark time, among subjects event-free and followed then."""
    from remission.stats.cohort_file import follow_up
    from remission.stats.landmark import landmark as landmark_analysis

    times = _values(at, "--at")
    cohort = _load(data, {"--time": time, "--event": event, "--group": group}, where)
    outcome = follow_up(cohort, time, event=event)
    with _named(cohort, {"time": time, "event": event, "group": group}):
        result = landmark_analysis(
            outcome.time,
            outcome.events(),
            _optional(cohort, group),
            landmark_time=landmark_time,
            conf_type=conf_type,
            conf_level=conf_level,
        )
    _emit(json_output, lambda: result.to_dict(times), lambda: result.tables(times))


def _load(
    data: Path, roles: Mapping[str, str | Sequence[str] | None], where: Sequence[str] | None = None
) -> Cohort:
    """Read the columns the options name, keep the rows ``--where`` asks for, and say on stderr
    how many incomplete rows were dropped and how many the conditions left out."""
    from remission.stats.cohort_file import read_cohort
    from remission.stats.row_filter import parse_condition

    columns: dict[str, str] = {}
    for option, named in roles.items():
        for column in [named] if isinstance(named, str) else (named or ()):
            columns.setdefault(column, option)
    conditions = [parse_condition(text) for text in where or ()]
    cohort = read_cohort(data, columns, conditions)
    if conditions:
        kept = len(cohort.frame)
        joined = " and ".join(map(str, conditions))
        _note(f"kept {kept} of {kept + cohort.filtered} complete rows where {joined}")
    if cohort.dropped:
        counts = ", ".join(f"{column}: {count}" for column, count in cohort.missing if count)
        _note(
            f"dropped {cohort.dropped} of {cohort.rows_read} rows with a missing value ({counts}), "
            "as R's na.omit; the analysis uses the other rows"
        )
    return cohort


@contextlib.contextmanager
def _named(cohort: Cohort, arguments: Mapping[str, str | None]) -> Iterator[None]:
    """Re-raise an estimator's error naming the option and column (``--time futime``), not ``time``."""
    from remission.stats.inputs import SOURCE

    try:
        yield
    except InputError as error:
        if error.source != SOURCE:
            raise
        columns = set(cohort.frame.columns)
        problems = []
        for problem in error.problems:
            column = arguments.get(problem.field)
            if column is not None:
                field = cohort.field(column)
            elif problem.field in columns:
                field = cohort.field(problem.field)
            else:
                field = _OPTION_OF.get(problem.field, "--" + problem.field.replace("_", "-"))
            problems.append(FieldProblem(field, problem.problem))
        raise InputError(cohort.source, problems) from None


def _optional(cohort: Cohort, column: str | None) -> np.ndarray | None:
    return None if column is None else cohort.values(column)


def _frame(cohort: Cohort) -> dict[str, np.ndarray]:
    return {str(name): cohort.values(str(name)) for name in cohort.frame.columns}


def _columns(text: str | None) -> list[str]:
    """Column names from a comma-separated option (blanks ignored)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _values(text: str | None, option: str, *, codes: bool = False) -> list[float] | None:
    """Comma-separated times >= 0 (``--at``) or cause codes 1..k (``--causes``); ``None`` if absent."""
    if text is None:
        return None
    values = []
    for part in _columns(text) or [""]:
        try:
            value = float(part)
        except ValueError:
            value = math.nan
        if not (value.is_integer() and value > 0 if codes else math.isfinite(value) and value >= 0):
            wanted = "a cause code 1..k (0 means censored)" if codes else "a time >= 0, as in 365,730,1095"
            raise _option_error(option, f"{part!r} is not {wanted}")
        values.append(value)
    return values


def _option_error(option: str, problem: str) -> InputError:
    return InputError("command line", [FieldProblem(option, problem)])


def _note(message: str) -> None:
    err.print(Text(f"note: {message}"))


def _plot_kind(path: Path | None) -> str | None:
    """``.png`` or ``.svg`` for a ``--plot`` file; any other ending is refused before the analysis runs."""
    if path is None:
        return None
    kind = path.suffix.lower()
    if kind not in (".png", ".svg"):
        raise _option_error("--plot", f"{path.name}: give a file ending in .png or .svg")
    return kind


def _time_label(column: str) -> str:
    return f"Time ({column}, in the file's units)"


def _write_plot(path: Path, draw: Callable[[], Any]) -> None:
    """Draw the figure to ``path`` (.png or .svg, by its ending) and say so on stderr."""
    from remission.stats.plots import figure_png, figure_svg

    figure = draw()
    content = figure_png(figure) if _plot_kind(path) == ".png" else figure_svg(figure)
    try:
        path.write_bytes(content)
    except OSError as error:
        raise _option_error("--plot", f"{path}: {error.strerror or error}") from None
    _note(f"wrote {path}")


def _emit(
    json_output: bool, payload: Callable[[], dict[str, Any]], tables: Callable[[], Sequence[Table]]
) -> None:
    """JSON on stdout for machines, or the result's tables for people."""
    if json_output:
        render.print_json(payload())
        return
    for table in tables():
        out.print(_rich_table(table), crop=False)
        if table.note:  # below the table, not as a caption squeezed to the table's width
            out.print(Text(table.note), crop=False)


def _rich_table(table: Table) -> RichTable:
    """A result table as rich renders it; every string is Text so ``[...]`` is never read as markup."""
    from remission.stats.results import format_value

    shown = RichTable(title=Text(table.title), title_justify="left")
    cells = [[format_value(value) for value in row] for row in table.rows]
    for index, name in enumerate(table.columns):
        # Full width for every cell: a narrow (or piped, 80-column) console must not cut numbers.
        width = max([len(name)] + [len(row[index]) for row in cells])
        shown.add_column(Text(name), justify="left" if index == 0 else "right", no_wrap=True, min_width=width)
    for row in cells:
        shown.add_row(*(Text(cell) for cell in row))
    return shown
