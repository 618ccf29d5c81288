"""``remission queries``: data queries (discrepancy notes) — list, show, open, answer, close, re-open.

Acts as the operator unless ``--as-user`` names an account; then the store's rules for that
account hold (only a data manager or monitor opens, closes and re-opens; site staff answer;
another site's query is not found). Bad input, a refused step or a stale ``--version`` exits 2
with one line on standard error.
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
from remission.errors import FieldProblem, InputError
from remission.store import (
    DataQuery,
    QueryState,
    Store,
    StudySession,
    answer_query,
    close_query,
    find_patient,
    get_query,
    list_queries,
    open_query,
    reopen_query,
)

queries_app = typer.Typer(
    help="Data queries (discrepancy notes): list, show, open, answer, close, re-open.", no_args_is_help=True
)
out = Console(soft_wrap=True, highlight=False)

AsUser = Annotated[str | None, typer.Option("--as-user", help="Act as this account.")]
Json = Annotated[bool, flag("--json", help="Print JSON instead of a table.")]
QueryIdArgument = Annotated[int, typer.Argument(help="Query id.", min=1)]
Version = Annotated[int, typer.Option("--version", help="The version of the query you read.", min=1)]
Text = Annotated[str, typer.Option("--text", help="What you write in the thread.")]


@contextmanager
def _session(database: str | None, as_user: str | None) -> Iterator[StudySession]:
    store = Store.open(database, migrated=True)
    try:
        actor = account_actor(store, as_user, option="--as-user")
        with store.session(actor) as session:
            yield session
    finally:
        store.engine.dispose()


def query_to_dict(query: DataQuery) -> dict[str, Any]:
    """A query and its thread as JSON-ready values."""
    return {
        "id": query.id,
        "version": query.version,
        "patient_id": query.patient_id,
        "study_id": query.study_id,
        "form": query.form,
        "row_id": query.row_id,
        "field": query.field,
        "state": query.state.value,
        "opened_by": query.opened_by,
        "check_id": query.check_id,
        "check_satisfied_at": query.check_satisfied_at and query.check_satisfied_at.isoformat(),
        "messages": [
            {
                "at": message.at.isoformat(),
                "username": message.username,
                "action": message.action.value,
                "text": message.text,
                "automatic": message.automatic,
            }
            for message in query.messages
        ],
    }


def _item(query: DataQuery) -> str:
    parts = [query.form, f"row {query.row_id}" if query.row_id else None, query.field]
    return " · ".join(part for part in parts if part)


def _print_thread(query: DataQuery) -> None:
    out.print(
        f"query {query.id} (version {query.version}) · {query.study_id} · {_item(query)} · {query.state}"
    )
    if query.check_id:
        out.print(f"raised by edit check {query.check_id}")
    for message in query.messages:
        stamp = message.at.strftime("%Y-%m-%d %H:%M UTC")
        out.print(f"  {stamp}  {message.username}  {message.action}: {message.text}", markup=False)


def _states(values: list[str] | None) -> list[QueryState] | None:
    if not values:
        return None
    known = {state.value: state for state in QueryState}
    wrong = [value for value in values if value not in known]
    if wrong:
        raise InputError(
            "--state", [FieldProblem(value, f"must be one of {', '.join(known)}") for value in wrong]
        )
    return [known[value] for value in values]


@queries_app.command("list")
def list_command(
    site: Annotated[str | None, typer.Option("--site", help="Site code, e.g. SEV.")] = None,
    patient: Annotated[str | None, typer.Option("--patient", help="Study id of one patient.")] = None,
    state: Annotated[
        list[str] | None, typer.Option("--state", help="open, answered, closed or re-opened (repeatable).")
    ] = None,
    waiting: Annotated[
        bool, flag("--waiting-for-me", help="Only queries waiting for the --as-user account.")
    ] = False,
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """List data queries, oldest first."""
    states = _states(state)
    with _session(database, as_user) as session:
        patient_id = _patient_id(session, patient) if patient else None
        found = list_queries(
            session, site_code=site, patient_id=patient_id, states=states, waiting_for_me=waiting
        )
        rows = [query_to_dict(query) for query in found]
        items = [_item(query) for query in found]
    if json_output:
        render.print_json(rows)
        return
    table = Table(title="data queries")
    for column in ("id", "patient", "item", "state", "opened by", "last step"):
        table.add_column(column, overflow="fold")
    for row, item in zip(rows, items, strict=True):
        last = row["messages"][-1]
        table.add_row(
            str(row["id"]),
            row["study_id"],
            item,
            row["state"],
            row["opened_by"],
            f"{last['action']}: {last['text']}",
        )
    out.print(table if rows else "no queries")


def _patient_id(session: StudySession, study_id: str) -> int:
    patient = find_patient(session, study_id=study_id)
    if patient is None:
        raise InputError("--patient", [FieldProblem(study_id, "no such patient (or not of your sites)")])
    return patient.id


def _show(query: DataQuery, json_output: bool) -> None:
    if json_output:
        render.print_json(query_to_dict(query))
    else:
        _print_thread(query)


@queries_app.command("show")
def show_command(
    query_id: QueryIdArgument,
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """Show one query and every step of its thread."""
    with _session(database, as_user) as session:
        _show(get_query(session, query_id=query_id), json_output)


@queries_app.command("open")
def open_command(
    patient: Annotated[str, typer.Option("--patient", help="Study id of the patient.")],
    form: Annotated[
        str, typer.Option("--form", help="A course-row kind (mrd, adverse-events, …) or baseline.")
    ],
    text: Text,
    row: Annotated[int | None, typer.Option("--row", help="Row id on the form.", min=1)] = None,
    field: Annotated[
        str | None, typer.Option("--field", help="Field name (baseline: a dotted path).")
    ] = None,
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """Open a query on an item of a patient's record (a data manager or monitor)."""
    with _session(database, as_user) as session:
        query = open_query(
            session, patient_id=_patient_id(session, patient), form=form, row_id=row, field=field, text=text
        )
        _show(query, json_output)


def _step_command(step: Callable[..., DataQuery], help_text: str) -> Callable[..., None]:
    def command(
        query_id: QueryIdArgument,
        version: Version,
        text: Text,
        database: DatabaseOption = None,
        as_user: AsUser = None,
        json_output: Json = False,
    ) -> None:
        with _session(database, as_user) as session:
            _show(step(session, query_id=query_id, version=version, text=text), json_output)

    command.__doc__ = help_text
    return command


queries_app.command("answer")(_step_command(answer_query, "Answer an open or re-opened query (site staff)."))
queries_app.command("close")(_step_command(close_query, "Close a query (a data manager or monitor)."))
queries_app.command("reopen")(
    _step_command(reopen_query, "Re-open an answered or closed query (a data manager or monitor).")
)
