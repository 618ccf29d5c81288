"""``remission user``: add, list, deactivate and reactivate users, change their roles or password.

The command line acts for the operator (who has the database) unless ``--by`` names an
administrator's account, whose name the audit trail then records; any other account named by
``--by`` is refused by the store, as it would be on the API or the web. Every change needs
``--reason``; new passwords are read from standard input (never from the command line, where
other users and the shell history would see them) and must meet the password policy
(``REMISSION_PASSWORD_MIN_LENGTH``, ``REMISSION_PASSWORD_MIN_SCORE``).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from remission.cli.store_commands import DatabaseOption
from remission.errors import FieldProblem, InputError
from remission.store import (
    Actor,
    NotFound,
    PasswordPolicy,
    Role,
    RoleGrant,
    Store,
    actor_for_user,
    add_user,
    database_url,
    list_accounts,
    set_active,
    set_password,
    set_roles,
    user_by_username,
)

user_app = typer.Typer(
    help="User accounts and roles: add, list, deactivate, reactivate, change roles or a password.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True, highlight=False)

ReasonOption = Annotated[str, typer.Option("--reason", help="Why: written to the audit trail.")]
ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Act as this administrator's account (the audit trail names them)."),
]


def _password_policy() -> PasswordPolicy:
    """The policy the API and the web apply too (same environment variables)."""
    from remission.api.settings import password_policy

    return password_policy()


def _store(database: str | None) -> Store:
    """The migrated study at --database (never created here)."""
    return Store.open(database_url(database), migrated=True)


def _actor(store: Store, by: str | None) -> Actor:
    """The operator, or the active account named by ``--by``."""
    return account_actor(store, by, option="--by")


def account_actor(store: Store, username: str | None, *, option: str) -> Actor:
    """The operator (``username`` None), or the actor of the active account ``username``, with
    its roles and sites; an unknown or inactive name is an ``InputError`` naming ``option``."""
    if username is None:
        return Actor.for_system("cli")
    with store.session(Actor.for_system("cli")) as session:
        try:
            user_id = user_by_username(session, username=username).id
        except NotFound:
            user_id = None
        actor = actor_for_user(session, user_id=user_id) if user_id is not None else None
    if actor is None:
        raise InputError(option, [FieldProblem(username, "no active account of that name")])
    return actor


def _user_id(store: Store, username: str) -> int:
    with store.session(Actor.for_system("cli")) as session:
        return user_by_username(session, username=username).id


def _read_password() -> str:
    return sys.stdin.readline().rstrip("\n")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Option(help="Login name.")],
    role: Annotated[Role, typer.Option(help="Role: study level or site level.")],
    site: Annotated[str | None, typer.Option(help="Site code, for site-level roles.")] = None,
    full_name: Annotated[str | None, typer.Option(help="Full name (default: the username).")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why: written to the audit trail.")] = None,
    by: ByOption = None,
    database: DatabaseOption = None,
) -> None:
    """Add a user with one role. The password is read from standard input."""
    password = _read_password()
    store = _store(database)
    with store.session(_actor(store, by), reason=reason) as session:
        user = add_user(
            session,
            username=username,
            full_name=full_name or username,
            password=password,
            role=role,
            site_code=site,
            policy=_password_policy(),
        )
    out.print(f"user {user.username} added as {role.value}" + (f" at {site}" if site else ""))


@user_app.command("list")
def user_list(by: ByOption = None, database: DatabaseOption = None) -> None:
    """List every user with their roles, sites and whether they are active."""
    store = _store(database)
    with store.session(_actor(store, by)) as session:
        accounts = list_accounts(session)
    table = Table()
    for column in ("username", "name", "roles", "state"):
        table.add_column(column)
    for account in accounts:
        state = "active" if account.active else "deactivated"
        table.add_row(account.username, account.full_name, account.roles_text, state)
    out.print(table)


def _set_active(username: str, active: bool, reason: str, by: str | None, database: str | None) -> None:
    store = _store(database)
    actor = _actor(store, by)
    user_id = _user_id(store, username)
    with store.session(actor, reason=reason) as session:
        set_active(session, user_id=user_id, active=active)
    out.print(f"user {username} {'reactivated' if active else 'deactivated; their sessions have ended'}")


@user_app.command("deactivate")
def user_deactivate(
    username: str, reason: ReasonOption, by: ByOption = None, database: DatabaseOption = None
) -> None:
    """Deactivate a user: they cannot sign in and their sessions end at once."""
    _set_active(username, False, reason, by, database)


@user_app.command("reactivate")
def user_reactivate(
    username: str, reason: ReasonOption, by: ByOption = None, database: DatabaseOption = None
) -> None:
    """Reactivate a deactivated user."""
    _set_active(username, True, reason, by, database)


@user_app.command("roles")
def user_roles(
    username: str,
    role: Annotated[
        list[str],
        typer.Option("--role", help="ROLE or ROLE@SITE (e.g. coordinator@SEV); repeat for more roles."),
    ],
    reason: ReasonOption,
    by: ByOption = None,
    database: DatabaseOption = None,
) -> None:
    """Replace a user's roles and sites; their sessions end, the new roles apply at their next sign-in."""
    grants = [RoleGrant.parse(text) for text in role]
    store = _store(database)
    actor = _actor(store, by)
    user_id = _user_id(store, username)
    with store.session(actor, reason=reason) as session:
        set_roles(session, user_id=user_id, grants=grants)
    out.print(f"user {username} now holds: {', '.join(grant.text for grant in sorted(set(grants)))}")


@user_app.command("password")
def user_password(
    username: str, reason: ReasonOption, by: ByOption = None, database: DatabaseOption = None
) -> None:
    """Set a user's password (read from standard input); their sessions end."""
    password = _read_password()
    store = _store(database)
    actor = _actor(store, by)
    user_id = _user_id(store, username)
    with store.session(actor, reason=reason) as session:
        set_password(session, user_id=user_id, password=password, policy=_password_policy())
    out.print(f"password of {username} set; their sessions have ended")
