"""``make run`` serves on the port given as ``PORT`` (default 8000), as the README says."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def run_commands(*variables: str) -> str:
    """The command ``make run`` would serve with (``make -n``: printed, not run; no PORT from outside)."""
    env = {name: value for name, value in os.environ.items() if name not in ("PORT", "MAKEFLAGS", "MFLAGS")}
    completed = subprocess.run(
        ["make", "-n", "run", *variables],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return next(line for line in completed.stdout.splitlines() if " web " in line)


class TestMakeRun:
    def test_port_defaults_to_8000(self):
        """Without PORT, make run serves the web app on port 8000."""
        assert run_commands().endswith("--port 8000")

    def test_port_is_chosen_with_port_variable(self):
        """make run PORT=8001 serves on port 8001."""
        assert run_commands("PORT=8001").endswith("--port 8001")
