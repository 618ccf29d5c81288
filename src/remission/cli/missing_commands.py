"""``remission missing set|list|clear``: missing-data codes — why an item of a patient's data has no value.

Acts as the operator unless ``--as-user`` names an account (then with that account's roles and
sites, as the API and the web pages would). Bad input exits 2 with one line naming the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from remission.cli import render
from remission.cli.acting import AsUser, Json, acting_session, patient_id_of
from remission.cli.store_commands import DatabaseOption
from remission.store import (
    MissingCode,
    StudySession,
    clear_missing_code,
    list_missing_codes,
    set_missing_code,
)

CODES = ", ".join(code.value for code in MissingCode)
missing_app = typer.Typer(
    help="Missing-data codes: why a baseline field, a course-row field or an assessment has no value.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True, highlight=False)


def _show(codes: list[dict[str, Any]], json_output: bool, title: str) -> None:
    if json_output:
        render.print_json(codes)
        return
    if not codes:
        out.print(f"{title}: no missing-data codes")
        return
    table = Table(title=title)
    for column in ("id", "item", "code", "note", "recorded by", "at", "version"):
        table.add_column(column, overflow="fold")
    for code in codes:
        table.add_row(
            str(code["id"]),
            code["item"],
            code["code"],
            code["note"] or "",
            code["recorded_by"],
            code["recorded_at"][:16],
            str(code["version"]),
        )
    out.print(table)


def _run(
    database: str | None, as_user: str | None, work: Callable[[StudySession], Any], reason: str | None = None
) -> Any:
    with acting_session(database, as_user, reason) as session:
        return work(session)


@missing_app.command("set")
def set_code(
    study_id: Annotated[str, typer.Argument(help="The patient's study id.")],
    form: Annotated[
        str, typer.Option("--form", help="baseline, calendar, or a course-row kind (mrd, relapses, …).")
    ],
    code: Annotated[str, typer.Option("--code", help=f"One of: {CODES}.")],
    field: Annotated[
        str | None, typer.Option("--field", help="Record path (baseline) or column (course row).")
    ] = None,
    row_id: Annotated[int | None, typer.Option("--row-id", help="The course row's id.")] = None,
    protocol_id: Annotated[str | None, typer.Option("--protocol", help="calendar: the protocol id.")] = None,
    assessment: Annotated[
        str | None, typer.Option("--assessment", help="calendar: the assessment id.")
    ] = None,
    occurrence: Annotated[
        str | None, typer.Option("--occurrence", help="calendar: phase id or 'visit N'.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why, in words.")] = None,
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """Record why an item has no value (a field that holds a value is refused: clear it first)."""

    def work(session: StudySession) -> dict[str, Any]:
        return set_missing_code(
            session,
            patient_id=patient_id_of(session, study_id),
            form=form,
            row_id=row_id,
            field=field,
            protocol_id=protocol_id,
            assessment=assessment,
            occurrence=occurrence,
            code=code,
            note=note,
        ).to_dict()

    stored = _run(database, as_user, work)
    if json_output:
        render.print_json(stored)
    else:
        out.print(f"{stored['item']}: {stored['code']} (code {stored['id']}, version {stored['version']})")


@missing_app.command("list")
def list_codes(
    study_id: Annotated[str, typer.Argument(help="The patient's study id.")],
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """List a patient's missing-data codes."""
    codes = _run(
        database,
        as_user,
        lambda session: [
            c.to_dict() for c in list_missing_codes(session, patient_id=patient_id_of(session, study_id))
        ],
    )
    _show(codes, json_output, study_id)


@missing_app.command("clear")
def clear_code(
    code_id: Annotated[int, typer.Argument(help="The code's id (remission missing list).")],
    version: Annotated[int, typer.Option("--version", help="The version you read.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the code is cleared (audit trail).")],
    database: DatabaseOption = None,
    as_user: AsUser = None,
) -> None:
    """Clear a missing-data code read at --version, with a reason."""
    _run(
        database,
        as_user,
        lambda session: clear_missing_code(session, code_id=code_id, version=version),
        reason,
    )
    out.print(f"code {code_id} cleared")
