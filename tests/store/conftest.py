"""Fixtures of the store tests: a fresh database of each back end seeded with sites SEV and SNU."""

from __future__ import annotations

import pytest
from tests.store.helpers import World

from remission.store import accounts
from remission.store.actor import Actor
from remission.store.database import Store


@pytest.fixture
def world(store: Store) -> World:
    """Sites SEV and SNU on a fresh database of each back end; users are made on first use."""
    with store.session(Actor.for_system("seed")) as session:
        sites = {
            code: accounts.add_site(session, code=code, name=name).id
            for code, name in (("SEV", "Severance Hospital"), ("SNU", "Seoul National University Hospital"))
        }
    return World(store, sites)
