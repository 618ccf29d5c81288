"""Dependencies shared by the routes: the store, the settings and the current actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import OAuth2PasswordBearer

from remission.api.settings import Settings
from remission.api.tokens import read_token
from remission.store import MAX_ID, Actor, Store, actor_for_user, check_session

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token")


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy, the one the proxy forwards),
    which sign-in throttling counts failures against."""
    return request.client.host if request.client else "unknown"


def _load_actor(store: Store, user_id: int) -> Actor | None:
    with store.session(Actor.for_system("token check")) as session:
        return actor_for_user(session, user_id=user_id)


def current_actor(
    request: Request, token: Annotated[str, Depends(oauth2)], store: StoreDep, settings: SettingsDep
) -> Actor:
    """The actor of a valid token whose session is live; 401 otherwise.

    The session is read from the database on every request, never from a cache, so a token
    stops working the moment its session is ended or revoked. Only the actor is cached, by
    session (:mod:`remission.api.actor_cache`). The token's session id is kept on
    ``request.state.api_session_id`` for signing out.
    """
    unauthorized = HTTPException(
        status.HTTP_401_UNAUTHORIZED, "invalid or expired token", headers={"WWW-Authenticate": "Bearer"}
    )
    claims = read_token(token, secret=settings.secret_key)
    if claims is None:
        raise unauthorized
    live = check_session(store, session_id=claims.session_id, user_id=claims.user_id, kind="api")
    if live is None:
        raise unauthorized
    actor = request.app.state.actor_cache.get(live.key, lambda _: _load_actor(store, claims.user_id))
    if actor is None:
        raise unauthorized
    request.state.api_session_id = claims.session_id
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]

#: Path ids: positive and within a 32-bit column, so an absurd id is a 422, never a 500.
PatientId = Annotated[int, Path(ge=1, le=MAX_ID, description="Patient id.")]
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="Row id.")]
