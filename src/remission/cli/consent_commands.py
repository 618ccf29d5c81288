"""``remission consent …``: consent form versions, who must re-consent, and the consent actions due.

Thin wrappers over the store (which checks roles: administrators and data managers manage
versions). Acts as the operator unless ``--as-user`` names an account. Bad input exits 2 with one
line naming the field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from remission.cli import render
from remission.cli.acting import AsUser, Json, acting_session, patient_id_of
from remission.cli.store_commands import DatabaseOption
from remission.errors import FieldProblem, InputError
from remission.record.vocabulary import ConsentKind
from remission.store import (
    add_consent_version,
    list_consent_versions,
    patient_consent_actions,
    reconsent_list,
    site_consent_actions,
    update_consent_version,
)

KINDS = ", ".join(kind.value for kind in ConsentKind)
consent_app = typer.Typer(
    help="Consent form versions per study, who must re-consent, and the consent actions due.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True, highlight=False)

DateOption = Annotated[str | None, typer.Option(help="YYYY-MM-DD.")]


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError("consent", [FieldProblem(option, f"{value!r} is not a date YYYY-MM-DD")]) from None


def _kind(value: str) -> ConsentKind:
    try:
        return ConsentKind(value)
    except ValueError:
        raise InputError("consent", [FieldProblem("--kind", f"{value!r} is not one of: {KINDS}")]) from None


def _table(title: str, columns: tuple[str, ...], rows: list[list[str]]) -> None:
    if not rows:
        out.print(f"{title}: none")
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    out.print(table)


def _version_rows(versions: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            str(v["id"]),
            v["protocol_id"],
            v["kind"],
            v["label"],
            v["approved_on"] or "awaiting approval",
            v["approved_by"] or "",
            v["retired_on"] or "",
            str(v["version"]),
        ]
        for v in versions
    ]


_VERSION_COLUMNS = ("id", "study", "kind", "label", "approved on", "by", "retired on", "version")


@consent_app.command("versions")
def versions(
    protocol: Annotated[str | None, typer.Option("--protocol", help="Only this study's versions.")] = None,
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """List the registered consent form versions."""
    with acting_session(database, as_user) as session:
        found = [v.to_dict() for v in list_consent_versions(session, protocol_id=protocol)]
    if json_output:
        render.print_json(found)
    else:
        _table("consent form versions", _VERSION_COLUMNS, _version_rows(found))


@consent_app.command("add-version")
def add_version(
    protocol: Annotated[str, typer.Option("--protocol", help="The study, e.g. NCT06516679.")],
    kind: Annotated[str, typer.Option("--kind", help=f"One of: {KINDS}.")],
    label: Annotated[str, typer.Option("--label", help="The version as printed on the form.")],
    approved_on: Annotated[
        str | None, typer.Option("--approved-on", help="Ethics approval, YYYY-MM-DD.")
    ] = None,
    approved_by: Annotated[str | None, typer.Option("--approved-by", help="The ethics committee.")] = None,
    retired_on: Annotated[str | None, typer.Option("--retired-on", help="Retired from, YYYY-MM-DD.")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """Register a version of a study's consent form (administrators and data managers)."""
    with acting_session(database, as_user) as session:
        stored = add_consent_version(
            session,
            protocol_id=protocol,
            kind=_kind(kind),
            label=label,
            approved_on=_day(approved_on, "--approved-on"),
            approved_by=approved_by,
            retired_on=_day(retired_on, "--retired-on"),
            note=note,
        ).to_dict()
    if json_output:
        render.print_json(stored)
    else:
        out.print(
            f"{stored['protocol_id']} {stored['kind']} form {stored['label']}: version id {stored['id']}"
        )


@consent_app.command("update-version")
def update_version(
    version_id: Annotated[int, typer.Argument(help="The version's id (remission consent versions).")],
    version: Annotated[int, typer.Option("--version", help="The row version you read.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (audit trail).")],
    approved_on: Annotated[
        str | None, typer.Option("--approved-on", help="Ethics approval, YYYY-MM-DD.")
    ] = None,
    approved_by: Annotated[str | None, typer.Option("--approved-by", help="The ethics committee.")] = None,
    retired_on: Annotated[str | None, typer.Option("--retired-on", help="Retired from, YYYY-MM-DD.")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    database: DatabaseOption = None,
    as_user: AsUser = None,
) -> None:
    """Approve, retire or annotate a version read at --version, with a reason."""
    values: dict[str, Any] = {}
    with acting_session(database, as_user, reason) as session:
        for name, value in (("approved_on", approved_on), ("retired_on", retired_on)):
            if value is not None:
                values[name] = _day(value, f"--{name.replace('_', '-')}")
        values |= {k: v for k, v in (("approved_by", approved_by), ("note", note)) if v is not None}
        stored = update_consent_version(
            session, version_id=version_id, version=version, values=values
        ).to_dict()
    out.print(f"version id {version_id}: {stored['label']} (row version {stored['version']})")


@consent_app.command("reconsent")
def reconsent(
    version_id: Annotated[int, typer.Argument(help="The new version's id.")],
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """List the enrolled patients who must consent again on this version."""
    with acting_session(database, as_user) as session:
        lines = [line.to_dict() for line in reconsent_list(session, version_id=version_id)]
    if json_output:
        render.print_json(lines)
    else:
        rows = [[line["study_id"], line["latest_version"], line["latest_date"]] for line in lines]
        _table(f"must re-consent on version id {version_id}", ("patient", "latest version", "given on"), rows)


def _action_rows(lines: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            line["study_id"],
            line["protocol_id"],
            line["kind"],
            line["state"],
            line["due_from"] or "",
            line["reason"],
        ]
        for line in lines
    ]


_ACTION_COLUMNS = ("patient", "study", "consent", "state", "from", "why")


@consent_app.command("actions")
def actions(
    study_id: Annotated[str, typer.Argument(help="The patient's study id.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default today).")] = None,
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """A patient's consent actions: parental permission, assent, own consent at majority."""
    with acting_session(database, as_user) as session:
        on = _day(as_of, "--as-of") or date.today()
        lines = [
            line.to_dict()
            for line in patient_consent_actions(
                session, patient_id=patient_id_of(session, study_id), as_of=on
            )
        ]
    if json_output:
        render.print_json(lines)
    else:
        _table(f"consent actions of {study_id}", _ACTION_COLUMNS, _action_rows(lines))


@consent_app.command("due")
def due(
    site: Annotated[str, typer.Option("--site", help="The site's code.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default today).")] = None,
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """The consent actions due at a site."""
    with acting_session(database, as_user) as session:
        on = _day(as_of, "--as-of") or date.today()
        lines = [line.to_dict() for line in site_consent_actions(session, site_code=site, as_of=on)]
    if json_output:
        render.print_json(lines)
    else:
        _table(f"consent actions due at {site}", _ACTION_COLUMNS, _action_rows(lines))
