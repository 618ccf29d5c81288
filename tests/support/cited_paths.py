"""Find the repository paths a text cites (``docs/export.md``, ``shared/seeds/002``), to check they exist."""

from __future__ import annotations

import re
from pathlib import Path

#: The repository's top-level folders, and ``shared/`` (a folder beside the repository, not in it).
TOP_LEVEL = ("benchmarks", "docs", "examples", "scripts", "shared", "src", "tests")
_PATH = re.compile(rf"(?<![\w/.:-])(?:{'|'.join(TOP_LEVEL)})/[\w./-]*\w|\b[A-Z][A-Z_]+\.md\b")


def cited_paths(text: str) -> set[str]:
    """Every relative path under a top-level folder, and every bare ``NAME.md``, that ``text`` mentions."""
    return set(_PATH.findall(text))


def missing_paths(text: str, repo: Path) -> list[str]:
    """The paths ``text`` cites that name nothing in ``repo`` (a bare ``NAME.md`` is never found)."""
    return sorted(path for path in cited_paths(text) if "/" not in path or not (repo / path).exists())
