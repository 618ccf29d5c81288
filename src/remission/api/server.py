"""The ASGI application for ``uvicorn remission.api.server:app`` (database from the environment)."""

from __future__ import annotations

from remission.api.app import create_app
from remission.store import Store

app = create_app(Store.open())
