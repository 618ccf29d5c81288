"""Dependencies shared by the routes: the store, the settings and the current actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import OAuth2PasswordBearer

from remission.api.settings import Settings
from remission.api.tokens import user_id_from_token
from remission.store import MAX_ID, Actor, Store, actor_for_user

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
    unauthorized = HTTPException(
        status.HTTP_401_UNAUTHORIZED, "invalid or expired token", headers={"WWW-Authenticate": "Bearer"}
    )
    user_id = user_id_from_token(token, secret=settings.secret_key)
    if user_id is None:
        raise unauthorized
    actor = request.app.state.actor_cache.get(user_id, lambda user: _load_actor(store, user))
    if actor is None:
        raise unauthorized
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]

#: Path ids: positive and within a 32-bit column, so an absurd id is a 422, never a 500.
PatientId = Annotated[int, Path(ge=1, le=MAX_ID, description="Patient id.")]
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="Row id.")]
