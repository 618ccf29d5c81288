"""A study session for a command that acts as the operator or as ``--as-user``, and its shared options.

Every refusal of the store — bad input, a refused step, a stale version, another site's record,
frozen or locked data — becomes one line on standard error and exit status 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

from remission.cli.account_commands import account_actor
from remission.cli.flags import flag
from remission.errors import InputError
from remission.store import (
    AccessDenied,
    Conflict,
    Locked,
    NotFound,
    ReasonRequired,
    Refused,
    Store,
    StudySession,
    VersionConflict,
    find_patient,
)

err = Console(stderr=True, soft_wrap=True, highlight=False)

AsUser = Annotated[str | None, typer.Option("--as-user", help="Act as this account (its roles and sites).")]
Json = Annotated[bool, flag("--json", help="Print JSON instead of a table.")]


def refuse(line: str) -> typer.Exit:
    """Print ``error: line`` on standard error; the exit (status 2) to raise."""
    err.print(f"error: {line}", markup=False)
    return typer.Exit(2)


@contextmanager
def acting_session(
    database: str | None, as_user: str | None, reason: str | None = None
) -> Iterator[StudySession]:
    """A study session as the operator or ``--as-user``; every refusal is one line and exit 2."""
    store = Store.open(database, migrated=True)
    try:
        actor = account_actor(store, as_user, option="--as-user")
        with store.session(actor, reason=reason) as session:
            yield session
    except InputError as error:
        raise refuse("; ".join(f"{p.field}: {p.problem}" for p in error.problems)) from None
    except Conflict as error:
        raise refuse(f"{error.field or 'record'}: {error.problem}") from None
    except Refused as error:
        raise refuse(f"{error.field}: {error.problem}") from None
    except VersionConflict as error:
        raise refuse(
            f"--version: the record has changed; its version is now {error.current_version}"
        ) from None
    except Locked as error:
        raise refuse(error.problem) from None
    except (NotFound, AccessDenied, ReasonRequired) as error:
        raise refuse(str(error)) from None
    finally:
        store.engine.dispose()


def patient_id_of(session: StudySession, study_id: str) -> int:
    """The id of the patient ``study_id`` the actor may read; :class:`NotFound` otherwise."""
    patient = find_patient(session, study_id=study_id)
    if patient is None:
        raise NotFound("patient", study_id)
    return patient.id
