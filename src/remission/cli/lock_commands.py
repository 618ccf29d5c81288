"""``remission locks``: freeze and lock a form, a casebook, a site or the whole study; release them.

A data manager or an admin freezes and locks (``--as-user``); only an admin unlocks; every release
needs a reason. Locking a casebook needs its required signatures valid, or ``--override-reason``.
A refusal exits 2 with one line.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from remission.cli import render
from remission.cli.acting import AsUser, Json, acting_session, patient_id_of, refuse
from remission.cli.flags import flag
from remission.cli.store_commands import DatabaseOption
from remission.store import DataLock, LockLevel, LockState, list_locks, release_lock, set_lock

locks_app = typer.Typer(
    help="Freeze and lock a form, a casebook, a site or the study; release with a reason.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True, highlight=False)

LEVELS = ", ".join(level.value for level in LockLevel)
Reason = Annotated[str | None, typer.Option("--reason", help="Why (kept in the audit trail).")]


def lock_dict(lock: DataLock) -> dict[str, Any]:
    """A freeze or lock as JSON-ready values."""
    return {
        "id": lock.id,
        "version": lock.version,
        "level": lock.level.value,
        "state": lock.state.value,
        "site_id": lock.site_id,
        "patient_id": lock.patient_id,
        "form": lock.form,
        "row_id": lock.row_id,
        "reason": lock.reason,
        "override_reason": lock.override_reason,
        "set_by": lock.set_by,
        "set_at": lock.set_at.isoformat(),
        "released_at": lock.released_at and lock.released_at.isoformat(),
        "released_by": lock.released_by,
        "release_reason": lock.release_reason,
    }


@locks_app.command("list")
def list_command(
    everything: Annotated[bool, flag("--all", help="Released ones too.")] = False,
    patient: Annotated[str | None, typer.Option("--patient", help="Those covering one patient.")] = None,
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """The freezes and locks you may see, newest first (active ones unless --all)."""
    with acting_session(database, as_user) as session:
        patient_id = patient_id_of(session, patient) if patient else None
        rows = [
            lock_dict(lock) for lock in list_locks(session, active_only=not everything, patient_id=patient_id)
        ]
    if json_output:
        render.print_json(rows)
        return
    table = Table(title="freezes and locks")
    for column in ("id", "version", "what", "state", "since (UTC)", "by", "reason", "released"):
        table.add_column(column)
    for row in rows:
        what = row["level"] + "".join(
            f" {row[key]}" for key in ("site_id", "patient_id", "form", "row_id") if row[key] is not None
        )
        released = f"{row['released_at'][:16]} by {row['released_by']}" if row["released_at"] else "—"
        since = row["set_at"][:16].replace("T", " ")
        table.add_row(
            str(row["id"]),
            str(row["version"]),
            what,
            row["state"],
            since,
            row["set_by"],
            row["reason"] or "—",
            released,
        )
    out.print(table)


@locks_app.command("set")
def set_command(
    level: Annotated[str, typer.Option("--level", help=f"What: {LEVELS}.")],
    lock: Annotated[bool, flag("--lock", help="Lock (every change refused) instead of freeze.")] = False,
    site: Annotated[str | None, typer.Option("--site", help="The site code (a site lock).")] = None,
    patient: Annotated[str | None, typer.Option("--patient", help="Study id (a casebook or form).")] = None,
    form: Annotated[str | None, typer.Option("--form", help="A course form or baseline (a form).")] = None,
    row: Annotated[int | None, typer.Option("--row", help="The form's row.", min=1)] = None,
    reason: Reason = None,
    override_reason: Annotated[
        str | None,
        typer.Option("--override-reason", help="Lock a casebook without its signatures, saying why."),
    ] = None,
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """Freeze (default) or lock one target."""
    levels = {lvl.value: lvl for lvl in LockLevel}
    if level not in levels:
        raise refuse(f"--level: {level!r} is not one of {LEVELS}")
    state = LockState.LOCKED if lock else LockState.FROZEN
    with acting_session(database, as_user, reason=reason or f"{state.value} {level}") as session:
        made = set_lock(
            session,
            level=levels[level],
            state=state,
            site_code=site,
            patient_id=patient_id_of(session, patient) if patient else None,
            form=form,
            row_id=row,
            reason=reason,
            override_reason=override_reason,
        )
        row_out = lock_dict(made)
    if json_output:
        render.print_json(row_out)
    else:
        out.print(f"{row_out['state']} {level} (lock {row_out['id']})")


@locks_app.command("release")
def release_command(
    lock_id: Annotated[int, typer.Argument(help="The lock's id (remission locks list).", min=1)],
    version: Annotated[int, typer.Option("--version", help="The version you read.", min=1)],
    reason: Annotated[str, typer.Option("--reason", help="Why the data is unfrozen or unlocked.")],
    database: DatabaseOption = None,
    as_user: AsUser = None,
) -> None:
    """Unfreeze, or unlock (an admin), with a reason."""
    with acting_session(database, as_user, reason=reason) as session:
        released = release_lock(session, lock_id=lock_id, version=version, reason=reason)
        state = released.state.value
    out.print(f"released the {state} data of lock {lock_id}")
