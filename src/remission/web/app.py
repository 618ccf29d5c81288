"""The web application: the API of :func:`remission.api.app.create_app` plus the pages.

``api/`` never imports ``web/``: this module wraps the API's application, mounts the static
files and includes the page routers, and gives page paths HTML error pages.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from remission.api.app import create_app
from remission.api.settings import Settings
from remission.store import Store
from remission.web.errors import install_page_errors
from remission.web.pages import HERE
from remission.web.routes import (
    admin,
    audit,
    baseline,
    casebook,
    consents,
    course,
    dashboard,
    downloads,
    enrollment,
    locks,
    missing_codes,
    notifications,
    patients,
    queries,
    screening,
    sdv,
    signin,
    signing,
    worklist,
)


def create_web_app(store: Store, settings: Settings | None = None) -> FastAPI:
    """The API (``/api/v1``) and the pages over ``store``; settings default to the environment's."""
    app = create_app(store, settings)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (
        signin,
        patients,
        casebook,
        baseline,
        screening,
        enrollment,
        course,
        missing_codes,
        consents,
        dashboard,
        queries,
        worklist,
        signing,
        locks,
        notifications,
        sdv,
        audit,
        downloads,
        admin,
    ):
        app.include_router(module.router)
    install_page_errors(app)
    return app
