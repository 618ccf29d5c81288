"""``remission export``: the statisticians' endpoint dataset as CSV or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from remission.cli.flags import flag
from remission.cli.store_commands import DatabaseOption
from remission.errors import FieldProblem, InputError
from remission.store import FILE_EXISTS, Actor, ExportFormat, Refused, Store, export_dataset

#: The export's options by the store's names for them.
OPTIONS = {"path": "--out", "format": "--format"}

console = Console(soft_wrap=True)


def export(
    format: Annotated[ExportFormat, typer.Option("--format", help="File format: csv or parquet.")],
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    database: DatabaseOption = None,
    as_user: Annotated[
        str, typer.Option("--as-user", help="Name recorded for the operator in the audit trail.")
    ] = "cli",
    overwrite: Annotated[bool, flag("--overwrite", help="Replace an existing file.")] = False,
) -> None:
    """Export one de-identified row per patient (OS, EFS, relapse with competing risks).

    Runs with operator rights (every site); logged under --as-user. See docs/export.md.
    """
    # Like ``db upgrade`` and ``user add``, the command acts as the system: whoever can run
    # it against the database URL can read the database directly, so a role check here
    # would protect nothing. The export is still written to the audit trail.
    store = Store.open(database, migrated=True)
    try:
        result = export_dataset(
            store, actor=Actor.for_system(as_user), path=out, format=format, overwrite=overwrite
        )
    except Refused as error:
        if error.field not in OPTIONS:
            raise
        # The store words its refusals for Python callers; a CLI user needs the option's name.
        problem = "exists; give --overwrite to replace it" if error.detail == FILE_EXISTS else error.problem
        raise InputError(OPTIONS[error.field], [FieldProblem(str(out), problem)]) from None
    finally:
        store.engine.dispose()
    console.print(f"exported {result.rows} rows to {result.path} ({result.format.value})", highlight=False)
