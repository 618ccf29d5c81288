"""``remission casebook``: a patient's casebook as a PDF file (audited as an export)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from remission.cli.account_commands import account_actor
from remission.cli.acting import AsUser, refuse
from remission.cli.flags import flag
from remission.cli.store_commands import DatabaseOption
from remission.documents import write_casebook_pdf
from remission.errors import InputError
from remission.store import FILE_EXISTS, NotFound, Refused, Store

console = Console(soft_wrap=True, highlight=False)


def casebook(
    study_id: Annotated[str, typer.Argument(help="The patient's study id.")],
    out: Annotated[Path, typer.Option("--out", help="The PDF file to write.")],
    database: DatabaseOption = None,
    as_user: AsUser = None,
    force: Annotated[bool, flag("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a patient's casebook as a PDF: every form, code, query, signature, SDV status, audit trail.

    As the operator by default (every site, audit trail included); with --as-user, as that account
    may read it. The export is written to the audit trail. See docs/conduct.md, "Casebook PDF".
    """
    store = Store.open(database, migrated=True)
    try:
        actor = account_actor(store, as_user, option="--as-user")
        made = write_casebook_pdf(store, actor=actor, study_id=study_id, path=out, overwrite=force)
    except InputError as error:
        raise refuse("; ".join(f"{error.source} {p.field}: {p.problem}" for p in error.problems)) from None
    except Refused as error:
        if error.field != "path":
            raise refuse(f"{error.field}: {error.problem}") from None
        problem = "exists; give --force to replace it" if error.detail == FILE_EXISTS else error.problem
        raise refuse(f"--out {out}: {problem}") from None
    except NotFound:
        raise refuse(f"patient {study_id}: not found (or not readable as this user)") from None
    finally:
        store.engine.dispose()
    audit = "with" if made.audit is not None else "without"
    console.print(
        f"wrote the casebook of {made.study_id} to {out} ({len(made.forms)} forms, {audit} the audit "
        "trail; the export is in the audit trail)",
        markup=False,
    )
