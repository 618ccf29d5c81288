"""Sites and users. Changing them is for administrators and is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import ConfigDict, Field

from remission import store as study_store
from remission.api.deps import ActorDep, SettingsDep, StoreDep
from remission.api.idempotency import request_fingerprint, run_post
from remission.store import (
    MAX_ID,
    Account,
    Role,
    RoleGrant,
    Strict,
    StudySession,
    add_site,
    add_user,
    get_account,
    list_accounts,
    set_active,
    set_roles,
)

router = APIRouter(tags=["accounts"])
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="User id.")]
Reason = Annotated[str, Field(min_length=1, max_length=500, description="Why; written to the audit trail.")]


class SiteCreate(Strict):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]


class SitePublic(SiteCreate):
    model_config = ConfigDict(from_attributes=True, extra="ignore")
    id: int


class UserCreate(Strict):
    username: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")]
    full_name: Annotated[str, Field(min_length=1, max_length=200)]
    # The length and strength rules are the password policy's, checked by the store.
    password: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role
    site: str | None = None


class RoleGrantBody(Strict):
    role: Role
    site: Annotated[str | None, Field(max_length=64, description="Site code, for site roles.")] = None


class UserPublic(Strict):
    id: int
    username: str
    full_name: str
    active: bool
    roles: list[RoleGrantBody]


class ActiveChange(Strict):
    active: bool
    reason: Reason


class RolesChange(Strict):
    roles: Annotated[list[RoleGrantBody], Field(min_length=1, max_length=20)]
    reason: Reason


def _public(account: Account) -> UserPublic:
    return UserPublic(
        id=account.id,
        username=account.username,
        full_name=account.full_name,
        active=account.active,
        roles=[RoleGrantBody(role=grant.role, site=grant.site) for grant in account.grants],
    )


@router.get("/sites", response_model=list[SitePublic])
def list_sites(actor: ActorDep, store: StoreDep) -> Any:
    with store.session(actor) as session:
        sites = sorted(study_store.list_sites(session), key=lambda site: site.id)
        return [SitePublic.model_validate(site) for site in sites]


@router.post("/sites", status_code=201, response_model=SitePublic)
def create_site(body: SiteCreate, actor: ActorDep, store: StoreDep, request: Request) -> Any:
    def work(session: StudySession) -> SitePublic:
        return SitePublic.model_validate(add_site(session, code=body.code, name=body.name))

    return run_post(
        store,
        actor,
        key=None,
        fingerprint=request_fingerprint("POST", request.url.path, body.model_dump()),
        work=work,
    )


@router.get("/users", response_model=list[UserPublic])
def list_users(actor: ActorDep, store: StoreDep) -> Any:
    """Every account with its roles, sites and active state (administrators only)."""
    with store.session(actor) as session:
        return [_public(account) for account in list_accounts(session)]


@router.post("/users", status_code=201)
def create_user(
    body: UserCreate, actor: ActorDep, store: StoreDep, settings: SettingsDep, request: Request
) -> Any:
    def work(session: StudySession) -> dict[str, Any]:
        user = add_user(
            session,
            username=body.username,
            full_name=body.full_name,
            password=body.password,
            role=body.role,
            site_code=body.site,
            policy=settings.password_policy,
        )
        return {"id": user.id, "username": user.username, "role": body.role.value, "site": body.site}

    fingerprint = request_fingerprint(
        "POST", request.url.path, body.model_dump(mode="json", exclude={"password"})
    )
    return run_post(store, actor, key=None, fingerprint=fingerprint, work=work)


@router.get("/users/me")
def who_am_i(actor: ActorDep) -> Any:
    return {
        "username": actor.username,
        "study_roles": sorted(role.value for role in actor.study_roles),
        "site_roles": {
            str(site): sorted(role.value for role in roles) for site, roles in actor.site_roles.items()
        },
    }


@router.put("/users/{user_id}/active", response_model=UserPublic)
def change_active(user_id: UserId, body: ActiveChange, actor: ActorDep, store: StoreDep) -> Any:
    """Deactivate (``false``) or reactivate (``true``) a user, with a reason (administrators
    only). A deactivated user's sessions and tokens stop working at once."""
    with store.session(actor, reason=body.reason) as session:
        set_active(session, user_id=user_id, active=body.active)
        return _public(get_account(session, user_id=user_id))


@router.put("/users/{user_id}/roles", response_model=UserPublic)
def change_roles(user_id: UserId, body: RolesChange, actor: ActorDep, store: StoreDep) -> Any:
    """Replace a user's roles and sites, with a reason (administrators only). The user's
    sessions and tokens stop working at once; the new roles apply from their next sign-in."""
    grants = [RoleGrant(grant.role, grant.site) for grant in body.roles]
    with store.session(actor, reason=body.reason) as session:
        set_roles(session, user_id=user_id, grants=grants)
        return _public(get_account(session, user_id=user_id))
