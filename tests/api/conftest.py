"""Fixtures of the API tests: an app over a fresh store on each back end, two sites
(SEV, SNU), one user per role (made on first use) and one seeded patient per site.

``api`` is built on the ``store`` fixture of :mod:`tests.support.databases`, so every
test that uses it runs on SQLite and on a real PostgreSQL server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from remission.api.app import create_app
from remission.store.database import Store

from .helpers import PRINCIPALS, SEEDS, Api, Principal, make_settings


@pytest.fixture
def api(store: Store) -> Iterator[Api]:
    """The API over a fresh store with sites SEV and SNU and one seeded patient per site."""
    settings = make_settings()
    assert len(settings.secret_key) == 48
    with TestClient(create_app(store, settings), raise_server_exceptions=False) as client:
        app = Api(store, client, settings)
        app.add_sites()
        for number, (site, prefix) in enumerate(SEEDS.items(), start=1):
            app.patients[site] = app.seed_patient(site, prefix, f"SEED-{number:02d}")
        yield app


@pytest.fixture
def client(api: Api) -> TestClient:
    """The test client of ``api`` (not signed in; use ``api.headers(role, site)``)."""
    return api.client


@pytest.fixture
def users(api: Api) -> tuple[Principal, ...]:
    """Every user of the study made up front: one per study role, and each site role at SEV and SNU."""
    api.add_all_users()
    return PRINCIPALS
