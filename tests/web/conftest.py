"""Fixtures of the web tests: a seeded SQLite study made once per session and copied for each test.

Seeding (the demo loader and sixteen Argon2-hashed accounts) takes a few seconds, so it runs once;
every test then gets its own copy of the file, so no test sees another's writes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright

from remission.api.settings import Settings
from remission.store.database import Store, make_engine
from remission.web import create_web_app

from .live import CHROMIUM, LiveServer, require_chromium
from .support import make_settings, seed_study


@pytest.fixture(scope="session")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, seeded SQLite study file (read-only template: copy it before use)."""
    path = tmp_path_factory.mktemp("web-template") / "study.sqlite"
    store = Store(make_engine(f"sqlite:///{path}"))
    seed_study(store)
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.engine.dispose()
    return path


def copy_study(seeded: Path, folder: Path) -> str:
    """A private copy of the seeded study in ``folder``; its database URL."""
    target = folder / "study.sqlite"
    shutil.copyfile(seeded, target)
    return f"sqlite:///{target}"


@pytest.fixture
def web_store(seeded_file: Path, tmp_path: Path) -> Iterator[Store]:
    """A store over this test's own copy of the seeded study."""
    store = Store(make_engine(copy_study(seeded_file, tmp_path)))
    yield store
    store.engine.dispose()


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def client(web_store: Store, settings: Settings) -> Iterator[TestClient]:
    """A test client of the web app over the test's study (not signed in)."""
    with TestClient(create_web_app(web_store, settings), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def study(
    seeded_file: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Store]:
    """A copy of the seeded study for one browser-test module (its tests share it, in order)."""
    folder = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    store = Store(make_engine(copy_study(seeded_file, folder)))
    yield store
    store.engine.dispose()


@pytest.fixture(scope="module")
def server(study: Store) -> Iterator[str]:
    """The base URL of the web app over ``study``, served by uvicorn for one module."""
    live = LiveServer(create_web_app(study, make_settings())).start()
    yield live.url
    live.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) at 1280 × 900, closed after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()
