"""``remission report``: the study report (HTML, PDF) and the endpoint dataset it was computed from.

The command reads the store as a study-level statistician (every site, de-identified), derives the
extended endpoint dataset at the data cut, writes it to ``endpoints.parquet`` with an ``export``
entry in the audit trail (as ``remission export`` does), and builds the report from that dataset
only. Progress goes to stderr, one line per step; input problems exit with status 2.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import pyarrow.compute as pc
import typer
from rich.console import Console

from remission.cli.inputs import parse_date
from remission.cli.store_commands import DatabaseOption
from remission.demo import synthetic_note
from remission.errors import FieldProblem, InputError
from remission.store import (
    Actor,
    ExportFormat,
    ReportTables,
    Role,
    StorageError,
    Store,
    export_dataset,
    read_report_tables,
)

FORMATS = ("html", "pdf", "json")
DATASET_FILE = "endpoints.parquet"

progress = Console(stderr=True, soft_wrap=True, highlight=False)
out = Console(soft_wrap=True, highlight=False)


def _formats(value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))
    unknown = [part for part in chosen if part not in FORMATS]
    if not chosen or unknown:
        raise InputError("--format", [FieldProblem(value, f"give one or more of {', '.join(FORMATS)}")])
    return chosen


def _out_dir(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise InputError("--out", [FieldProblem(str(path), "is a file; give a directory for the report")])
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError("--out", [FieldProblem(str(path), error.strerror or str(error))]) from None
    return path


def _notes(table: pa.Table, path: Path, as_of: date) -> list[str]:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    notes = [
        f"Dataset: {path.name}, {table.num_rows} rows, SHA-256 {digest}; derived at the data cut {as_of}."
    ]
    if (warning := synthetic_note([str(key) for key in table["patient_key"].to_pylist()])) is not None:
        notes.insert(0, warning)
    return notes


def _dataset(store: Store, actor: Actor, path: Path, cut: date) -> pa.Table:
    """Export the extended dataset to ``path`` (audited, as remission export does), refusing a
    study with no one to analyse before anything is written."""
    url = store.engine.url.render_as_string()

    def enrolled_patients(table: pa.Table) -> None:
        if not pc.any(table["protocol_id"].is_valid()).as_py():
            problem = f"the study has no enrolled patients diagnosed by {cut}: nothing to report"
            raise InputError("--database", [FieldProblem(url, problem)])

    try:
        result = export_dataset(
            store,
            actor=actor,
            path=path,
            format=ExportFormat.PARQUET,
            overwrite=True,
            purpose="report",
            extended=True,
            as_of=cut,
            accept=enrolled_patients,
        )
    except StorageError as error:
        raise _unreadable(url, error) from None
    except OSError as error:
        raise InputError("--out", [FieldProblem(str(path.parent), error.strerror or str(error))]) from None
    return result.table


def _unreadable(url: str, error: StorageError) -> InputError:
    kind = type(error.__cause__).__name__
    problem = f"cannot read a remission study there ({kind}); run remission db upgrade?"
    return InputError("--database", [FieldProblem(url, problem)])


def _report_tables(store: Store, actor: Actor, protocol_id: str, cut: date) -> ReportTables:
    """The study flow and adverse events of the first protocol (audited read)."""
    try:
        return read_report_tables(store, actor=actor, protocol_id=protocol_id, as_of=cut)
    except StorageError as error:
        raise _unreadable(store.engine.url.render_as_string(), error) from None


def report(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Directory for report.html, report.pdf, endpoints.parquet.")
    ],
    database: DatabaseOption = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Data cut YYYY-MM-DD: nothing dated later is read (default today)."),
    ] = None,
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated: html, pdf, json.")
    ] = "html,pdf,json",
    as_user: Annotated[
        str, typer.Option("--as-user", help="Name recorded for the statistician in the audit trail.")
    ] = "cli",
) -> None:
    """Write the study report: EFS, OS, relapse incidence, DFS after HSCT, OS after relapse.

    Reads every site as a statistician (de-identified); the dataset export is audited. See docs/report.md.
    """
    from remission.stats.report import build_report, write_html, write_json, write_pdf

    cut = parse_date(as_of, option="--as-of")
    chosen = _formats(formats)
    store = Store.open(database, migrated=True)
    target = _out_dir(out_dir)
    actor = Actor(username=as_user, study_roles=frozenset({Role.STATISTICIAN}))
    steps = 2 + len(chosen)
    url = store.engine.url.render_as_string()
    progress.print(f"[1/{steps}] reading the endpoint dataset from {url} (data cut {cut})")
    dataset_path = target / DATASET_FILE
    try:
        table = _dataset(store, actor, dataset_path, cut)
        progress.print(
            f"       wrote {dataset_path} ({table.num_rows} rows; export logged in the audit trail)"
        )
        protocol = sorted(str(p) for p in table["protocol_id"].drop_null().unique().to_pylist())[0]
        tables = _report_tables(store, actor, protocol, cut)
        progress.print(
            f"       read the study flow and adverse events of {protocol} (logged in the audit trail)"
        )
    finally:
        store.engine.dispose()
    progress.print(f"[2/{steps}] running the analyses")
    built = build_report(
        table,
        as_of=cut,
        title="remission study report",
        notes=_notes(table, dataset_path, cut),
        flow=tables.flow,
        flow_protocol=tables.protocol_id,
        adverse_events=tables.adverse_events,
    )
    writers = {"html": write_html, "pdf": write_pdf, "json": write_json}
    written = [dataset_path]
    for step, kind in enumerate(chosen, start=3):
        path = target / f"report.{kind}"
        progress.print(f"[{step}/{steps}] writing {path}")
        written.append(writers[kind](built, path))
    out.print("wrote " + ", ".join(str(path) for path in written))
