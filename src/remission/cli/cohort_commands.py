"""``remission cohort build``: the study's patients as a cohort file for ``remission trials match --cohort``.

The file holds, for every patient the viewer may read, the record the decision engines read
(``remission.store.read_cohort_records``) in the canonical cohort layout (``docs/cohorts.md``),
so ``trials match --cohort`` reads it without an unknown or missing column. Values that are not
recorded stay null. The viewer is the operator (every site, identifiers) unless ``--as-user``
names an account: then only that account's sites are read, and the date of birth is left out
(null) for patients at sites where the account may not see identifiers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from remission.cli.account_commands import account_actor
from remission.cli.flags import flag
from remission.cli.store_commands import DatabaseOption
from remission.errors import FieldProblem, InputError
from remission.rules.columnar import cohort_from_records, write_cohort
from remission.store import Store, read_cohort_records

cohort_app = typer.Typer(
    help="Cohort files of the study's patients (for remission trials match --cohort).", no_args_is_help=True
)
out = Console(soft_wrap=True, highlight=False)


def _target(path: Path, overwrite: bool) -> Path:
    if path.suffix.lower() != ".parquet":
        raise InputError("--out", [FieldProblem(str(path), "name a .parquet file")])
    if path.exists() and not overwrite:
        raise InputError("--out", [FieldProblem(str(path), "exists; give --overwrite to replace it")])
    if not path.parent.is_dir():
        raise InputError("--out", [FieldProblem(str(path), f"the directory {path.parent} does not exist")])
    return path


@cohort_app.command("build")
def build(
    out_path: Annotated[Path, typer.Option("--out", help="Parquet file to write (FILE.parquet).")],
    database: DatabaseOption = None,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as-user", help="Read as this account: its sites, and dates of birth only where it may."
        ),
    ] = None,
    overwrite: Annotated[bool, flag("--overwrite", help="Replace an existing file.")] = False,
) -> None:
    """Write the study's patients as a cohort file that remission trials match --cohort reads.

    One row per patient the viewer may read; not-recorded values stay null. See docs/report.md.
    """
    target = _target(out_path, overwrite)
    store = Store.open(database, migrated=True)
    try:
        actor = account_actor(store, as_user, option="--as-user")
        with store.session(actor) as session:
            records = read_cohort_records(session)
    finally:
        store.engine.dispose()
    partial = target.with_name(f".{target.name}.partial")
    try:
        write_cohort(cohort_from_records(records), partial)
        os.chmod(partial, 0o600)
        partial.replace(target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise InputError("--out", [FieldProblem(str(target), error.strerror or str(error))]) from None
    viewer = as_user or "the operator (every site)"
    out.print(f"wrote {len(records)} patient records to {target} as read by {viewer}")
