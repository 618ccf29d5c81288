"""`remission export --format dataset-json`: writes the directory, refuses an existing one (exit 2)."""

from __future__ import annotations

from pathlib import Path

import dsjframe
from tests.support.cli import run_cli
from tests.support.cli_study import cli_study

REPO = Path(__file__).resolve().parents[2]


def test_export_writes_a_validating_directory_and_refuses_to_overwrite(tmp_path: Path) -> None:
    """The command writes every domain (validated by dsjframe); an existing DIR is exit 2 naming --out."""
    url = cli_study(tmp_path, baseline={})
    out = tmp_path / "sdtm"
    written = run_cli("export", "--format", "dataset-json", "--out", str(out), "--database", url, cwd=REPO)
    assert written.returncode == 0, written.stderr
    assert "exported 1 patients" in written.stdout
    assert "dataset-json, 10 files" in written.stdout
    assert dsjframe.validate_dataset(out / "dm.json")["ok"]
    assert [row["SUBJID"] for row in dsjframe.read_dataset(out / "dm.json").to_pylist()] == ["CLI-01"]
    before = sorted(p.name for p in out.iterdir())
    refused = run_cli("export", "--format", "dataset-json", "--out", str(out), "--database", url, cwd=REPO)
    assert refused.returncode == 2
    assert "--out" in refused.stderr
    assert "give --overwrite to replace it" in refused.stderr
    assert sorted(p.name for p in out.iterdir()) == before
    again = run_cli(
        "export", "--format", "dataset-json", "--out", str(out), "--database", url, "--overwrite", cwd=REPO
    )
    assert again.returncode == 0, again.stderr
