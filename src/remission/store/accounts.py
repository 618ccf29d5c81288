"""Sites, users and role assignments, and turning a user into an :class:`Actor`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from remission.store.actor import AccessDenied, Actor
from remission.store.errors import NotFound, Refused
from remission.store.models import RoleAssignment, Site, User
from remission.store.password_policy import DEFAULT_PASSWORD_POLICY, PasswordPolicy, check_password
from remission.store.passwords import dummy_hash, hash_password, verify_password
from remission.store.vocabulary import Role


def require_account_manager(session: Session) -> None:
    """Refuse a non-administrator before anything is looked up, so that the answer to adding a
    taken name is the same as to adding a free one (no probing which usernames exist)."""
    actor = session.info.get("actor")
    if isinstance(actor, Actor) and not actor.manages_accounts:
        raise AccessDenied(f"{actor.username} may not change sites, users or roles")


def add_site(session: Session, *, code: str, name: str) -> Site:
    """Create a site (administrators only; a taken code is refused)."""
    require_account_manager(session)
    if session.scalar(select(Site).where(Site.code == code)) is not None:
        raise Refused("code", f"site {code!r} exists already")
    site = Site(code=code, name=name)
    session.add(site)
    session.flush()
    return site


def site_by_code(session: Session, *, code: str) -> Site:
    """The site with ``code``; :class:`NotFound` otherwise."""
    site = session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise NotFound("site", code)
    return site


def add_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    password: str,
    role: Role,
    site_code: str | None,
    policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
) -> User:
    """Create a user with one role; a site role needs a site, a study role must not have one.

    Only administrators (and the command line) may; anyone else is refused before the username
    is looked up. The password must meet ``policy`` (:mod:`remission.store.password_policy`).
    """
    require_account_manager(session)
    if role.site_level and site_code is None:
        raise Refused("site", f"the role {role.value} is held at a site; give --site")
    if not role.site_level and site_code is not None:
        raise Refused("site", f"the role {role.value} is study-wide; do not give --site")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Refused("username", f"user {username!r} exists already")
    check_password(password, policy=policy, user_inputs=(username, full_name))
    user = User(username=username, full_name=full_name, password_hash=hash_password(password), active=True)
    session.add(user)
    session.flush()
    site_id = site_by_code(session, code=site_code).id if site_code else None
    session.add(RoleAssignment(user_id=user.id, role=role, site_id=site_id))
    session.flush()
    return user


def actor_for_user(session: Session, *, user_id: int) -> Actor | None:
    """The actor of an active user, or ``None``."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    rows = session.execute(
        select(RoleAssignment.role, RoleAssignment.site_id).where(RoleAssignment.user_id == user_id)
    ).all()
    return Actor.from_assignments(user.username, user.id, [(row.role, row.site_id) for row in rows])


def authenticate(session: Session, *, username: str, password: str) -> Actor | None:
    """The actor for a correct username and password, else ``None``.

    An unknown or inactive username is checked against a dummy hash, so it costs the same
    Argon2 work as a real one and the time taken does not tell which usernames exist.
    """
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        verify_password(dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    return actor_for_user(session, user_id=user.id)


def list_sites(session: Session) -> list[Site]:
    """Every site, by code (sites are not site-scoped: any signed-in user may list them)."""
    return list(session.scalars(select(Site).order_by(Site.code)))


def site_codes(session: Session) -> dict[int, str]:
    """Site id to code, for every site."""
    return {site.id: site.code for site in list_sites(session)}


def usernames(session: Session) -> set[str]:
    """Every username taken (accounts are managed by admins and the operator)."""
    return set(session.scalars(select(User.username)))


def get_user(session: Session, *, user_id: int) -> User:
    """The user with ``user_id``; :class:`NotFound` otherwise."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user
