"""``remission sdv plan|status|verify``: source data verification — what the plans require, what is verified.

``plan`` reads a protocol file only; ``status`` and ``verify`` act on the study database, as the
operator or ``--as-user`` (an account's roles and sites, as the API and the web pages would).
Marking an item verified is a monitor's act, so ``verify`` needs ``--as-user``. Bad input exits 2
with one line naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from remission.cli import render
from remission.cli.acting import AsUser, Json, acting_session, patient_id_of, refuse
from remission.cli.store_commands import DatabaseOption
from remission.errors import InputError
from remission.protocols import load_protocol
from remission.store import (
    StudySession,
    describe_plan,
    read_sdv_status,
    sdv_plan_problems,
    sdv_worklist,
    verify_item,
)

sdv_app = typer.Typer(
    help="Source data verification: the protocols' SDV plans, what is verified, marking items verified.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True, highlight=False)


@sdv_app.command("plan")
def plan(
    protocol_id: Annotated[str, typer.Argument(help="A shipped protocol id, e.g. NCT06516679.")],
    json_output: Json = False,
) -> None:
    """The protocol's SDV plan: each entry, the record inputs it requires and its source or assumption."""
    try:
        protocol = load_protocol(protocol_id)
    except InputError as error:
        raise refuse("; ".join(f"{p.field}: {p.problem}" for p in error.problems)) from None
    lines = [line.to_dict() for line in describe_plan(protocol)]
    problems = [f"{p.field}: {p.problem}" for p in sdv_plan_problems(protocol)]
    if json_output:
        render.print_json({"protocol": protocol.id, "entries": lines, "problems": problems})
        return
    if not lines:
        out.print(f"{protocol.id}: no SDV plan; nothing is required")
        return
    table = Table(title=f"{protocol.id} v{protocol.version}: SDV plan")
    for column in ("requires", "record inputs", "source"):
        table.add_column(column, overflow="fold")
    for line in lines:
        inputs = [*line["record_paths"], *(f"MRD {point}" for point in line["mrd_time_points"])]
        inputs += [f"(not an item: {path}, {why})" for path, why in line["not_items"].items()]
        source = "ASSUMPTION" if line["assumption"] else line["source"]
        table.add_row(line["requires"], "\n".join(inputs) or "every row, whole", source or "")
    out.print(table)
    for problem in problems:
        out.print(f"problem: {problem}")


def _items_table(title: str, patients: list[dict[str, Any]]) -> Table:
    table = Table(title=title)
    for column in ("patient", "item", "state", "by", "at", "why"):
        table.add_column(column, overflow="fold")
    for patient in patients:
        for item in patient["items"]:
            mark = item["mark"] or {}
            detail = item["state"] + (f": {mark['reset_note']}" if mark.get("reset_note") else "")
            table.add_row(
                patient["study_id"],
                item["item"],
                detail,
                mark.get("verified_by", ""),
                (mark.get("verified_at") or "")[:16],
                "; ".join(item["why"]),
            )
    return table


@sdv_app.command("status")
def status(
    study_id: Annotated[str | None, typer.Argument(help="One patient's study id (else --site).")] = None,
    site: Annotated[str | None, typer.Option("--site", help="A site's worklist, by site code.")] = None,
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """What the SDV plans require of one patient, or of a site's patients, and the state of each item."""
    if (study_id is None) == (site is None):
        raise refuse("give a study id or --site (one of them)")

    def work(session: StudySession) -> dict[str, Any]:
        if site is not None:
            return sdv_worklist(session, site_code=site).to_dict()
        return read_sdv_status(session, patient_id=patient_id_of(session, study_id or "")).to_dict()

    with acting_session(database, as_user) as session:
        answer = work(session)
    if json_output:
        render.print_json(answer)
        return
    patients = answer["patients"] if site is not None else [answer]
    counts = ", ".join(f"{state} {n}" for state, n in answer["counts"].items())
    out.print(_items_table(f"SDV {site or study_id}: {counts}", patients))


@sdv_app.command("verify")
def verify(
    study_id: Annotated[str, typer.Argument(help="The patient's study id.")],
    form: Annotated[str, typer.Option("--form", help="baseline, patient, or a course-row kind (mrd, …).")],
    field: Annotated[
        str | None,
        typer.Option("--field", help="Record path, patient column or row column; none: whole row."),
    ] = None,
    row_id: Annotated[int | None, typer.Option("--row-id", help="The course row's id.")] = None,
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """Mark an item (or a whole course row) verified against the source, as a monitor's account."""
    if as_user is None:
        raise refuse("--as-user: marking source data verified is a monitor's act; name the monitor's account")
    with acting_session(database, as_user) as session:
        mark = verify_item(
            session, patient_id=patient_id_of(session, study_id), form=form, row_id=row_id, field=field
        ).to_dict()
    if json_output:
        render.print_json(mark)
        return
    out.print(f"verified {mark['item']} of {study_id} (mark {mark['id']}, by {mark['verified_by']})")
