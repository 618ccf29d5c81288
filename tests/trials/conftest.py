"""Shared fixtures of the trial tests: the API v2 fixture files and an empty registry folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from remission.trials import Registry

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    """A registry in a fresh folder: only the shipped curated trials until something is imported."""
    return Registry(tmp_path / "registry")
