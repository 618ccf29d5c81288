"""Sites and users. Changing them is for administrators and is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import ConfigDict, Field

from remission import store as study_store
from remission.api.deps import ActorDep, StoreDep
from remission.api.idempotency import request_fingerprint, run_post
from remission.store import Role, Strict, StudySession, add_site, add_user

router = APIRouter(tags=["accounts"])


class SiteCreate(Strict):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]


class SitePublic(SiteCreate):
    model_config = ConfigDict(from_attributes=True, extra="ignore")
    id: int


class UserCreate(Strict):
    username: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")]
    full_name: Annotated[str, Field(min_length=1, max_length=200)]
    password: Annotated[str, Field(min_length=12, max_length=200)]
    role: Role
    site: str | None = None


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


@router.post("/users", status_code=201)
def create_user(body: UserCreate, actor: ActorDep, store: StoreDep, request: Request) -> Any:
    def work(session: StudySession) -> dict[str, Any]:
        user = add_user(
            session,
            username=body.username,
            full_name=body.full_name,
            password=body.password,
            role=body.role,
            site_code=body.site,
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
