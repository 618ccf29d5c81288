"""``remission export``: the statisticians' endpoint dataset (CSV, Parquet) and the study in the
field's exchange standards (HL7 FHIR, CDISC ODM, CDISC Dataset-JSON)."""

from __future__ import annotations

import importlib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NamedTuple

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from remission.cli.flags import flag
from remission.cli.store_commands import DatabaseOption
from remission.errors import FieldProblem, InputError
from remission.store import FILE_EXISTS, Actor, ExportFormat, Refused, Store, export_dataset

#: The export's options by the store's names for them.
OPTIONS = {"path": "--out", "format": "--format", "site_code": "--site"}

console = Console(soft_wrap=True)
progress_console = Console(stderr=True, soft_wrap=True)


class Format(StrEnum):
    """Every format ``remission export`` writes."""

    CSV = "csv"
    PARQUET = "parquet"
    DATASET_JSON = "dataset-json"


class Writer(NamedTuple):
    """An interop format's writer, called as
    ``function(store, actor=, out=, overwrite=, site_code=, progress=)`` -> ``ExportSummary``."""

    module: str
    function: str


#: The exchange formats, each written by its module of :mod:`remission.interop` (loaded when used).
INTEROP_WRITERS: dict[Format, Writer] = {
    Format.DATASET_JSON: Writer("remission.interop.dataset_json_export", "export_dataset_json"),
}


def export(
    format: Annotated[
        Format,
        typer.Option(
            "--format",
            help="csv or parquet (the endpoint dataset); dataset-json (SDTM-shaped domains, a directory).",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="File (or, for fhir and dataset-json, directory) to write.")
    ],
    database: DatabaseOption = None,
    as_user: Annotated[
        str, typer.Option("--as-user", help="Name recorded for the operator in the audit trail.")
    ] = "cli",
    overwrite: Annotated[bool, flag("--overwrite", help="Replace an existing file.")] = False,
    site: Annotated[
        str | None, typer.Option("--site", help="Only this site's patients (exchange formats only).")
    ] = None,
) -> None:
    """Export one de-identified row per patient (OS, EFS, relapse with competing risks), or the study.

    Runs with operator rights (every site); logged under --as-user. See docs/export.md and
    docs/interop.md.
    """
    # Like ``db upgrade`` and ``user add``, the command acts as the system: whoever can run it
    # against the database URL can read the database directly, so a role check here would
    # protect nothing. The export is still written to the audit trail.
    if site is not None and format not in INTEROP_WRITERS:
        raise InputError(
            "--site", [FieldProblem(site, f"only the exchange formats take --site, not {format}")]
        )
    store = Store.open(database, migrated=True)
    try:
        actor = Actor.for_system(as_user)
        if format in INTEROP_WRITERS:
            line = _exchange(store, actor, INTEROP_WRITERS[format], out=out, overwrite=overwrite, site=site)
        else:
            result = export_dataset(
                store, actor=actor, path=out, format=ExportFormat(format.value), overwrite=overwrite
            )
            line = f"exported {result.rows} rows to {result.path} ({result.format.value})"
    except Refused as error:
        if error.field not in OPTIONS:
            raise
        # The store words its refusals for Python callers; a CLI user needs the option's name.
        problem = "exists; give --overwrite to replace it" if error.detail == FILE_EXISTS else error.problem
        raise InputError(OPTIONS[error.field], [FieldProblem(str(out), problem)]) from None
    finally:
        store.engine.dispose()
    console.print(line, highlight=False)


def _exchange(
    store: Store, actor: Actor, writer: Writer, *, out: Path, overwrite: bool, site: str | None
) -> str:
    """Run an interop writer with a progress bar on stderr; the line to print when it is done."""
    write = getattr(importlib.import_module(writer.module), writer.function)
    columns = (TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=progress_console, transient=True) as bar:
        task = bar.add_task("patients", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = write(store, actor=actor, out=out, overwrite=overwrite, site_code=site, progress=progress)
    return f"exported {summary.patients} patients to {summary.path} ({summary.format}, {summary.files} files)"
