"""Signing in: an OAuth2 password form in, an expiring bearer token out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from remission.api.deps import SettingsDep, StoreDep, client_address
from remission.api.tokens import issue_token
from remission.store import sign_in as check_sign_in

router = APIRouter(tags=["auth"])


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
    token = issue_token(actor.user_id, secret=settings.secret_key, minutes=settings.token_minutes)
    return {"access_token": token, "token_type": "bearer", "expires_in": settings.token_minutes * 60}
