"""Pytest plugin: mark the tests that need PostgreSQL or a browser, so `make test-fast` can skip them.

A test is marked ``postgresql`` when it runs on the PostgreSQL back end (a fixture parametrised
with ``"postgresql"``, such as ``database_url``) or asks for the ``postgres_server`` fixture, even
through another fixture; it is marked ``browser`` when it asks for the ``browser`` fixture (Chromium).
The live R tier carries its ``r_live`` mark itself. The markers are registered in pyproject.toml.
"""

from __future__ import annotations

import pytest


def _on_postgresql(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return "postgres_server" in fixtures or any(
        isinstance(value, str) and value == "postgresql" for value in params
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _on_postgresql(item):
            item.add_marker(pytest.mark.postgresql)
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
