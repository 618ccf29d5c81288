"""Signing in and out, and changing one's own password: bearer tokens tied to server-side sessions."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import Field

from remission.api.deps import ActorDep, SettingsDep, StoreDep, client_address
from remission.api.settings import Settings
from remission.api.tokens import issue_token
from remission.store import Store, Strict, change_own_password, end_session, start_session
from remission.store import sign_in as check_sign_in

router = APIRouter(tags=["auth"])


class PasswordChange(Strict):
    old_password: Annotated[str, Field(min_length=1, max_length=200)]
    new_password: Annotated[str, Field(min_length=1, max_length=200)]


def _token_answer(store: Store, settings: Settings, user_id: int) -> dict[str, Any]:
    """A new API session for ``user_id`` and its bearer token."""
    lifetime = timedelta(minutes=settings.token_minutes)
    session_id = start_session(store, user_id=user_id, kind="api", idle=lifetime, lifetime=lifetime)
    token = issue_token(user_id, session_id, secret=settings.secret_key, minutes=settings.token_minutes)
    return {"access_token": token, "token_type": "bearer", "expires_in": settings.token_minutes * 60}


@router.post("/auth/token")
def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    store: StoreDep,
    settings: SettingsDep,
    request: Request,
) -> Any:
    """A bearer token for a correct username and password; 429 with ``Retry-After`` while
    the account or the client address is locked after failed attempts."""
    result = check_sign_in(
        store,
        username=form.username,
        password=form.password,
        address=client_address(request),
        policy=settings.sign_in,
    )
    if result.throttled:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed sign-ins; try again in {result.retry_after} seconds",
            headers={"Retry-After": str(result.retry_after)},
        )
    actor = result.actor
    if actor is None or actor.user_id is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "wrong username or password", headers={"WWW-Authenticate": "Bearer"}
        )
    return _token_answer(store, settings, actor.user_id)


@router.post("/auth/sign-out", status_code=204)
def sign_out(actor: ActorDep, store: StoreDep, request: Request) -> Response:
    """End the session of the token sent: it is refused from the next request on."""
    end_session(store, session_id=request.state.api_session_id)
    return Response(status_code=204)


@router.post("/auth/password")
def change_password(body: PasswordChange, actor: ActorDep, store: StoreDep, settings: SettingsDep) -> Any:
    """Change the caller's own password (the old one required; the new one must meet the
    password policy). Every session of the caller ends, this token's too; the answer carries a
    new token."""
    with store.session(actor, reason="password changed by the user") as session:
        user = change_own_password(
            session,
            old_password=body.old_password,
            new_password=body.new_password,
            policy=settings.password_policy,
        )
        user_id = user.id
    return _token_answer(store, settings, user_id)
