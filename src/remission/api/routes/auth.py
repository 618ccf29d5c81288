"""Signing in: an OAuth2 password form in, an expiring bearer token out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm

from remission.api.deps import SettingsDep, StoreDep
from remission.api.tokens import issue_token
from remission.store import Actor, authenticate

router = APIRouter(tags=["auth"])


@router.post("/auth/token")
def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], store: StoreDep, settings: SettingsDep
) -> Any:
    with store.session(Actor.for_system("sign-in")) as session:
        actor = authenticate(session, username=form.username, password=form.password)
    if actor is None or actor.user_id is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "wrong username or password", headers={"WWW-Authenticate": "Bearer"}
        )
    token = issue_token(actor.user_id, secret=settings.secret_key, minutes=settings.token_minutes)
    return {"access_token": token, "token_type": "bearer", "expires_in": settings.token_minutes * 60}
