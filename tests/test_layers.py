"""The import contracts name every module of the store, so a new one cannot be imported from above."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_every_store_module_is_forbidden_above_the_store() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    (contract,) = [
        c for c in config["tool"]["importlinter"]["contracts"] if c["name"].startswith("Above the store")
    ]
    store = REPO / "src" / "remission" / "store"
    modules = {f"remission.store.{path.stem}" for path in store.glob("*.py") if path.stem != "__init__"}
    modules |= {f"remission.store.{path.name}" for path in store.iterdir() if (path / "__init__.py").exists()}
    assert modules - set(contract["forbidden_modules"]) == set()
