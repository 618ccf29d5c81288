"""Changing accounts: listing them, deactivating and reactivating, roles and sites, passwords.

Administrators (and the command line) manage accounts; anyone may change their own password,
giving the old one. Every change is audited with the session's reason, which these functions
require, and ends the user's sessions at once (:mod:`remission.store.session_revocation`), so a
deactivated user, a user whose roles changed and every other browser or client of a user who
changed their password must sign in again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from remission.store.accounts import get_user, require_account_manager, site_by_code, site_codes
from remission.store.actor import AccessDenied, Actor
from remission.store.audit import ReasonRequired
from remission.store.errors import NotFound, Refused
from remission.store.models import RoleAssignment, User
from remission.store.password_policy import DEFAULT_PASSWORD_POLICY, PasswordPolicy, check_password
from remission.store.passwords import hash_password, verify_password
from remission.store.scoping import session_actor
from remission.store.vocabulary import Role


@dataclass(frozen=True, slots=True, order=True)
class RoleGrant:
    """One role, held study-wide (``site`` is ``None``) or at the site with that code."""

    role: Role
    site: str | None = None

    @property
    def text(self) -> str:
        """``coordinator@SEV`` or ``monitor`` (what the command line takes and prints)."""
        return self.role.value if self.site is None else f"{self.role.value}@{self.site}"

    @classmethod
    def parse(cls, text: str) -> RoleGrant:
        """``ROLE`` or ``ROLE@SITE`` (e.g. ``coordinator@SEV``); :class:`Refused` otherwise."""
        name, _, site = text.strip().partition("@")
        try:
            role = Role(name.strip())
        except ValueError:
            known = ", ".join(role.value for role in Role)
            raise Refused("roles", f"{name.strip()[:40]!r} is not a role; use one of {known}") from None
        return cls(role, site.strip() or None)


@dataclass(frozen=True, slots=True)
class Account:
    """A user as the account pages and commands show them (never the password hash)."""

    id: int
    username: str
    full_name: str
    active: bool
    version: int
    grants: tuple[RoleGrant, ...]

    @property
    def roles_text(self) -> str:
        return ", ".join(grant.text for grant in self.grants) or "no role"


def may_manage_accounts(actor: Actor) -> bool:
    """True when ``actor`` may list and change accounts (only decides which links a page shows;
    every function here checks it itself)."""
    return actor.manages_accounts


def _require_reason(session: Session) -> None:
    reason = session.info.get("reason")
    if not (isinstance(reason, str) and reason.strip()):
        raise ReasonRequired("give a reason for the change to the account")


def _grants(session: Session, user_id: int, codes: dict[int, str]) -> tuple[RoleGrant, ...]:
    rows = session.execute(
        select(RoleAssignment.role, RoleAssignment.site_id).where(RoleAssignment.user_id == user_id)
    ).all()
    return tuple(sorted(RoleGrant(row.role, codes.get(row.site_id) if row.site_id else None) for row in rows))


def _account(session: Session, user: User, codes: dict[int, str]) -> Account:
    return Account(
        user.id, user.username, user.full_name, user.active, user.version, _grants(session, user.id, codes)
    )


def list_accounts(session: Session) -> list[Account]:
    """Every account with its roles and sites, by username (administrators only)."""
    require_account_manager(session)
    codes = site_codes(session)
    users = session.scalars(select(User).order_by(User.username))
    return [_account(session, user, codes) for user in users]


def get_account(session: Session, *, user_id: int) -> Account:
    """One account (administrators only); :class:`NotFound` otherwise."""
    require_account_manager(session)
    return _account(session, get_user(session, user_id=user_id), site_codes(session))


def user_by_username(session: Session, *, username: str) -> User:
    """The user named ``username`` (administrators only); :class:`NotFound` otherwise."""
    require_account_manager(session)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("user", username)
    return user


def _managed_user(session: Session, user_id: int) -> User:
    """The user an administrator changes, after the role and reason checks."""
    require_account_manager(session)
    _require_reason(session)
    return get_user(session, user_id=user_id)


def _not_self(session: Session, user: User, what: str) -> None:
    """Refuse an administrator locking themselves out (the command line may do it)."""
    if session_actor(session).user_id == user.id:
        raise Refused("user", f"you may not {what} your own account; ask another administrator")


def set_active(session: Session, *, user_id: int, active: bool) -> User:
    """Deactivate (``active=False``) or reactivate a user (administrators only, with a reason).

    A deactivated user cannot sign in (the answer is the same as to a wrong password) and their
    sessions end at once. Their rows and audit entries stay.
    """
    user = _managed_user(session, user_id)
    if not active:
        _not_self(session, user, "deactivate")
    if user.active != active:
        user.active = active
        session.flush()
    return user


def _wanted(session: Session, grants: Iterable[RoleGrant]) -> set[tuple[Role, int | None]]:
    wanted: set[tuple[Role, int | None]] = set()
    for grant in grants:
        if grant.role.site_level and grant.site is None:
            raise Refused("roles", f"the role {grant.role.value} is held at a site; name the site")
        if not grant.role.site_level and grant.site is not None:
            raise Refused("roles", f"the role {grant.role.value} is study-wide; name no site")
        try:
            site_id = site_by_code(session, code=grant.site).id if grant.site else None
        except NotFound:
            raise Refused("roles", f"there is no site {grant.site!r}") from None
        wanted.add((grant.role, site_id))
    if not wanted:
        raise Refused("roles", "give at least one role (deactivate the user to take every access away)")
    return wanted


def set_roles(session: Session, *, user_id: int, grants: Sequence[RoleGrant]) -> User:
    """Make ``grants`` the user's roles and sites (administrators only, with a reason).

    Roles not named are removed, new ones added; when anything changed, the user's sessions end
    at once, so the new roles apply from their next sign-in. An administrator may not remove
    their own administrator role.
    """
    user = _managed_user(session, user_id)
    wanted = _wanted(session, grants)
    if (Role.ADMIN, None) not in wanted:
        actor = session_actor(session)
        if actor.user_id == user.id:
            raise Refused(
                "roles", "you may not remove your own administrator role; ask another administrator"
            )
    held = {
        (row.role, row.site_id): row
        for row in session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id))
    }
    for key, row in held.items():
        if key not in wanted:
            session.delete(row)
    session.flush()
    for role, site_id in sorted(wanted - held.keys(), key=lambda key: (key[0].value, key[1] or 0)):
        session.add(RoleAssignment(user_id=user.id, role=role, site_id=site_id))
    session.flush()
    return user


def set_password(
    session: Session, *, user_id: int, password: str, policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY
) -> User:
    """Give a user a new password (administrators only, with a reason); their sessions end."""
    user = _managed_user(session, user_id)
    check_password(password, policy=policy, user_inputs=(user.username, user.full_name))
    user.password_hash = hash_password(password)
    session.flush()
    return user


def change_own_password(
    session: Session,
    *,
    old_password: str,
    new_password: str,
    policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
) -> User:
    """Change the acting user's own password, given the old one; every session of theirs ends
    (the caller starts a new one for the request that made the change).

    A wrong old password is refused (field ``old_password``), as is a new one that ``policy``
    refuses or that equals the old one.
    """
    actor = session_actor(session)
    if actor.user_id is None or actor.system:
        raise AccessDenied("only a signed-in user changes their own password")
    user = get_user(session, user_id=actor.user_id)
    if not verify_password(user.password_hash, old_password):
        raise Refused("old_password", "the current password is not right")
    if new_password == old_password:
        raise Refused("password", "the new password must differ from the current one")
    check_password(new_password, policy=policy, user_inputs=(user.username, user.full_name))
    if not session.info.get("reason"):
        session.info["reason"] = "password changed by the user"
    user.password_hash = hash_password(new_password)
    session.flush()
    return user
