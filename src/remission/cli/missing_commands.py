"""``remission missing set|list|clear``: missing-data codes — why an item of a patient's data has no value.

Acts as the operator unless ``--as-user`` names an account (then with that account's roles and
sites, as the API and the web pages would). Bad input exits 2 with one line naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from remission.cli import render
from remission.cli.account_commands import account_actor
from remission.cli.flags import flag
from remission.cli.store_commands import DatabaseOption
from remission.errors import InputError
from remission.store import (
    AccessDenied,
    Conflict,
    MissingCode,
    NotFound,
    ReasonRequired,
    Refused,
    Store,
    StudySession,
    VersionConflict,
    clear_missing_code,
    find_patient,
    list_missing_codes,
    set_missing_code,
)

CODES = ", ".join(code.value for code in MissingCode)
missing_app = typer.Typer(
    help="Missing-data codes: why a baseline field, a course-row field or an assessment has no value.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

AsUser = Annotated[str | None, typer.Option("--as-user", help="Act as this account (its roles and sites).")]
Json = Annotated[bool, flag("--json", help="Print JSON instead of a table.")]


def _refuse(line: str) -> typer.Exit:
    err.print(f"error: {line}", markup=False)
    return typer.Exit(2)


@contextmanager
def _session(database: str | None, as_user: str | None, reason: str | None = None) -> Iterator[StudySession]:
    """A study session as the operator or ``--as-user``; every refusal is one line and exit 2."""
    store = Store.open(database, migrated=True)
    try:
        actor = account_actor(store, as_user, option="--as-user")
        with store.session(actor, reason=reason) as session:
            yield session
    except InputError as error:
        raise _refuse("; ".join(f"{p.field}: {p.problem}" for p in error.problems)) from None
    except Conflict as error:
        raise _refuse(f"{error.field or 'record'}: {error.problem}") from None
    except Refused as error:
        raise _refuse(f"{error.field}: {error.problem}") from None
    except VersionConflict as error:
        raise _refuse(
            f"--version: the code has changed; its version is now {error.current_version}"
        ) from None
    except (NotFound, AccessDenied, ReasonRequired) as error:
        raise _refuse(str(error)) from None
    finally:
        store.engine.dispose()


def _patient_id(session: StudySession, study_id: str) -> int:
    patient = find_patient(session, study_id=study_id)
    if patient is None:
        raise NotFound("patient", study_id)
    return patient.id


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
    with _session(database, as_user, reason) as session:
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
            patient_id=_patient_id(session, study_id),
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
            c.to_dict() for c in list_missing_codes(session, patient_id=_patient_id(session, study_id))
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
