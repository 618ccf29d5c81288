"""Live R tier: when ``Rscript`` is installed, every reference script is re-run and must still
produce the committed fixtures and datasets, so the numbers the Python tests trust are R's own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from stats.r_reference import DATA, FIXTURES, REFERENCE, SCRIPTS, assert_close

pytestmark = [
    pytest.mark.r_live,
    pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed"),
]

FIXTURE_SCRIPTS = sorted(path for path in SCRIPTS.glob("*.R") if path.name != "export_datasets.R")


def _run(script: Path, out: Path) -> None:
    completed = subprocess.run(
        ["Rscript", str(script.relative_to(REFERENCE)), str(out)],
        cwd=REFERENCE,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, f"{script.name} failed:\n{completed.stderr}"


def test_datasets_are_what_r_exports(tmp_path: Path) -> None:
    _run(SCRIPTS / "export_datasets.R", tmp_path)
    written = sorted(path.name for path in tmp_path.glob("*.csv"))
    assert written == sorted(path.name for path in DATA.glob("*.csv"))
    for name in written:
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / name), pd.read_csv(DATA / name))


@pytest.mark.parametrize("script", FIXTURE_SCRIPTS, ids=lambda path: path.stem)
def test_r_still_gives_the_committed_fixtures(script: Path, tmp_path: Path) -> None:
    _run(script, tmp_path)
    written = sorted(tmp_path.glob("*.json"))
    assert written, f"{script.name} wrote no fixtures"
    for path in written:
        committed = FIXTURES / path.name
        assert committed.exists(), f"{path.name} is not committed in {FIXTURES}"
        assert_close(
            json.loads(path.read_text()), json.loads(committed.read_text()), rtol=1e-9, where=path.name
        )
