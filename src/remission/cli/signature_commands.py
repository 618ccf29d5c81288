"""``remission signatures``: electronic signatures (21 CFR Part 11) — list, sign, waiting, verify.

Signing acts as ``--as-user`` (a signer the patient's protocols name) and asks for that account's
password (hidden; or one line on standard input with ``--password-stdin``): the command line has no
continuous session, so every signing gives both components (§11.200). Bad input, a wrong password or
a refused signing exits 2 with one line.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from remission.cli import render
from remission.cli.acting import AsUser, Json, acting_session, patient_id_of, refuse
from remission.cli.flags import flag
from remission.cli.store_commands import DatabaseOption
from remission.store import (
    Signature,
    SignatureMeaning,
    SignatureState,
    SignedUnit,
    UnitRef,
    get_patient,
    list_signatures,
    sign_units,
    signatures_to_renew,
    signing_list,
    verify_signatures,
)

signatures_app = typer.Typer(
    help="Electronic signatures (21 CFR Part 11): list, sign, what waits for re-signing, verify.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True, highlight=False)

UNITS = ", ".join(unit.value for unit in SignedUnit)
MEANINGS = ", ".join(meaning.value for meaning in SignatureMeaning)


def signature_dict(signature: Signature) -> dict[str, Any]:
    """A signature as JSON-ready values: who, when (UTC), meaning, what, and whether it is valid."""
    return {
        "id": signature.id,
        "patient_id": signature.patient_id,
        "unit": signature.unit.value,
        "row_id": signature.row_id,
        "record": signature.label,
        "meaning": signature.meaning.value,
        "signer_name": signature.signer_name,
        "signer_username": signature.signer_username,
        "signed_at": signature.signed_at.isoformat(),
        "content_digest": signature.content_digest,
        "valid": signature.valid,
        "invalidated_at": signature.invalidated_at and signature.invalidated_at.isoformat(),
        "invalidated_because": signature.invalidated_because,
    }


def _table(title: str, rows: list[dict[str, Any]]) -> None:
    table = Table(title=title)
    for column in ("id", "record", "meaning", "signed by", "at (UTC)", "state"):
        table.add_column(column)
    for row in rows:
        state = "valid" if row["valid"] else f"{SignatureState.INVALIDATED} ({row['invalidated_because']})"
        at = row["signed_at"][:16].replace("T", " ")
        table.add_row(str(row["id"]), row["record"], row["meaning"], row["signer_name"], at, state)
    out.print(table)


@signatures_app.command("list")
def list_command(
    patient: Annotated[
        str | None, typer.Option("--patient", help="Study id: that patient's signatures.")
    ] = None,
    invalidated: Annotated[
        bool, flag("--invalidated", help="Signatures invalidated by a change and not signed again.")
    ] = False,
    site: Annotated[str | None, typer.Option("--site", help="With --invalidated: one site.")] = None,
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """A patient's signatures, or those waiting for re-signing; name, UTC time and meaning of each."""
    if (patient is None) == (not invalidated):
        raise refuse("give --patient STUDY_ID or --invalidated")
    with acting_session(database, as_user) as session:
        if patient is not None:
            found = list_signatures(session, patient_id=patient_id_of(session, patient))
        else:
            found = signatures_to_renew(session, site_code=site)
        rows = [signature_dict(signature) for signature in found]
    if json_output:
        render.print_json(rows)
    else:
        _table(f"signatures of {patient}" if patient else "invalidated signatures", rows)


@signatures_app.command("waiting")
def waiting_command(
    patient: Annotated[str | None, typer.Option("--patient", help="Study id: that patient only.")] = None,
    database: DatabaseOption = None,
    as_user: AsUser = None,
    json_output: Json = False,
) -> None:
    """The required signatures the --as-user account may give that are unsigned or invalidated."""
    with acting_session(database, as_user) as session:
        patient_id = patient_id_of(session, patient) if patient else None
        rows: list[dict[str, Any]] = [
            {
                "study_id": s.study_id,
                "protocol_id": s.protocol_id,
                "unit": s.unit.value,
                "row_id": s.row_id,
                "record": s.label,
                "meaning": s.meaning.value,
                "state": s.state.value,
            }
            for s in signing_list(session, patient_id=patient_id)
        ]
    if json_output:
        render.print_json(rows)
        return
    table = Table(title="waiting for a signature")
    for column in ("patient", "record", "meaning", "state", "protocol"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["study_id"], row["record"], row["meaning"], row["state"], row["protocol_id"])
    out.print(table)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise refuse("--password-stdin: no terminal to ask for the password; pipe it with --password-stdin")
    return typer.prompt("Password", hide_input=True)


@signatures_app.command("sign")
def sign_command(
    patient: Annotated[str, typer.Option("--patient", help="Study id of the patient.")],
    unit: Annotated[str, typer.Option("--unit", help=f"What to sign: {UNITS}.")],
    meaning: Annotated[str, typer.Option("--meaning", help=f"The signature's meaning: {MEANINGS}.")],
    as_user: Annotated[str, typer.Option("--as-user", help="The signer's account (you).")],
    row: Annotated[
        int | None, typer.Option("--row", help="The row of the unit (none for a casebook).", min=1)
    ] = None,
    password_stdin: Annotated[
        bool, flag("--password-stdin", help="Read the password from one line of standard input.")
    ] = False,
    database: DatabaseOption = None,
    json_output: Json = False,
) -> None:
    """Sign one unit of a patient's records with your user name and password."""
    units = {u.value: u for u in SignedUnit}
    meanings = {m.value: m for m in SignatureMeaning}
    if unit not in units:
        raise refuse(f"--unit: {unit!r} is not one of {UNITS}")
    if meaning not in meanings:
        raise refuse(f"--meaning: {meaning!r} is not one of {MEANINGS}")
    from remission.api.settings import sign_in_policy

    password = _password(password_stdin)
    policy = sign_in_policy()  # a wrong password counts against the account's sign-in throttle
    with acting_session(database, as_user) as session:
        patient_id = patient_id_of(session, patient)
        (signature,) = sign_units(
            session,
            units=[UnitRef(patient_id, units[unit], row)],
            meaning=meanings[meaning],
            username=as_user,
            password=password,
            policy=policy,
        )
        row_out = signature_dict(signature)
        study_id = get_patient(session, patient_id=patient_id).study_id
    if json_output:
        render.print_json(row_out)
    else:
        out.print(
            f"signed {row_out['record']} of {study_id} for {meaning}"
            f" as {row_out['signer_name']} at {row_out['signed_at']}"
        )


@signatures_app.command("verify")
def verify_command(
    database: DatabaseOption = None, as_user: AsUser = None, json_output: Json = False
) -> None:
    """Check every signature against its audited signing (excised, moved, copied, content changed).

    Exits 1 when a problem is found.
    """
    with acting_session(database, as_user) as session:
        problems = [
            {"signature_id": p.signature_id, "problem": p.problem} for p in verify_signatures(session)
        ]
    if json_output:
        render.print_json(problems)
    elif problems:
        for problem in problems:
            out.print(f"signature {problem['signature_id']}: {problem['problem']}")
    else:
        out.print("every signature is bound to its record as audited")
    if problems:
        raise typer.Exit(1)
