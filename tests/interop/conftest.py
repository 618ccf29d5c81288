"""The store tests' ``world`` (sites SEV and SNU on a fresh database) for the interop export tests."""

from __future__ import annotations

from tests.store.conftest import world

__all__ = ["world"]
