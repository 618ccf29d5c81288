"""The README's Python examples run as written, from the repository root.

Every fenced ``python`` block runs in a fresh interpreter with the repository as working directory
and must exit 0. A block that needs a running server (or anything else a test cannot give) starts
with the marker comment :data:`SKIP_MARKER` and is skipped, with the reason after the marker.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
SKIP_MARKER = "# readme-test: skip"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(text: str) -> list[str]:
    """The code of every fenced ``python`` block of a Markdown text, in order."""
    return [match.group(1) for match in _BLOCK.finditer(text)]


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


class TestReadme:
    def test_the_block_finder_sees_the_python_examples(self):
        """The README has Python examples, and the finder takes only ``python`` blocks, whole."""
        assert BLOCKS
        assert python_blocks("```sh\nls\n```\n```python\nx = 1\ny = 2\n```\n") == ["x = 1\ny = 2\n"]

    @pytest.mark.parametrize("code", BLOCKS, ids=[f"block-{n}" for n in range(1, len(BLOCKS) + 1)])
    def test_python_block_runs(self, code: str):
        """A README Python block runs without error in a fresh interpreter at the repository root."""
        if code.lstrip().startswith(SKIP_MARKER):
            pytest.skip(code.lstrip().splitlines()[0].removeprefix(SKIP_MARKER).strip(" :") or "marked")
        completed = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False, timeout=120
        )
        assert completed.returncode == 0, completed.stderr
