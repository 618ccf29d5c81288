"""The FastAPI application: ``/api/v1`` routes, OpenAPI at ``/openapi.json``."""

from __future__ import annotations

from fastapi import FastAPI

from remission import __version__
from remission.api.actor_cache import ActorCache
from remission.api.errors import ERROR_RESPONSES, install_error_handlers
from remission.api.guards import GuardRequests
from remission.api.routes import (
    accounts,
    audit,
    auth,
    casebooks,
    consents,
    decisions,
    events,
    fhir,
    locks,
    missing_codes,
    notifications,
    patients,
    queries,
    signatures,
    source_verification,
)
from remission.api.settings import Settings
from remission.store import Store

API_PREFIX = "/api/v1"


def create_app(store: Store, settings: Settings | None = None) -> FastAPI:
    """The API over ``store``; settings default to the environment's."""
    app = FastAPI(
        title="remission", version=__version__, openapi_url="/openapi.json", responses=ERROR_RESPONSES
    )
    app.state.store = store
    app.state.settings = settings or Settings.from_environment()
    app.state.actor_cache = ActorCache(app.state.settings.actor_cache_seconds)
    install_error_handlers(app)
    app.add_middleware(
        GuardRequests,
        max_body_bytes=app.state.settings.max_body_bytes,
        max_json_depth=app.state.settings.max_json_depth,
    )
    routers = (
        auth,
        accounts,
        patients,
        decisions,
        events,
        missing_codes,
        audit,
        queries,
        signatures,
        locks,
        notifications,
        consents,
        source_verification,
        casebooks,
        fhir,
    )
    for module in routers:
        app.include_router(module.router, prefix=API_PREFIX)

    @app.get(f"{API_PREFIX}/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
