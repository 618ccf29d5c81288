"""Running ``remission analyze`` in process for the tests, and the R datasets they read."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from remission.cli.main import main
from stats.r_reference import DATA

LUNG, MGUS2, VETERAN, HEART = (str(DATA / f"{name}.csv") for name in ("lung", "mgus2", "veteran", "heart"))


def analyze(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``remission analyze ARGS`` through the console entry point; (exit status, stdout, stderr)."""
    saved = sys.argv
    sys.argv = ["remission", "analyze", *args]
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    finally:
        sys.argv = saved
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def analyze_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = analyze(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)
