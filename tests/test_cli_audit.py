"""The audit commands (verify, checkpoint) run through the entry point, on SQLite and PostgreSQL:
exit 0 intact, 1 broken, 2 bad input in one line without a traceback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from tests.support.cli import run_cli
from tests.test_cli_store import cut_tail, seed

from remission.store.database import make_engine
from remission.store.migrations_api import upgrade

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=REPO, env=env)


@pytest.fixture
def study(database_url: str) -> str:
    return seed(database_url)


def seed_sqlite(folder: Path) -> str:
    """A migrated SQLite study with the site SEV (keyed with the development key)."""
    url = f"sqlite:///{folder / 'study.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return seed(url)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


class TestCheckpointAndVerify:
    def test_an_exported_checkpoint_verifies_then_reveals_a_cut_tail(self, study: str, tmp_path: Path):
        """checkpoint --out writes the JSON file; verify --checkpoint passes, and fails after a cut."""
        kept = tmp_path / "checkpoint.json"
        written = run("audit", "checkpoint", "--database", study, "--out", str(kept))
        assert written.returncode == 0, written.stderr
        document = json.loads(kept.read_text())
        assert document["format"] == "remission-audit-checkpoint-v1"
        verified = run("audit", "verify", "--database", study, "--checkpoint", str(kept))
        assert verified.returncode == 0, verified.stdout
        assert f"the newest covers entry {document['seq']}" in verified.stdout
        cut_tail(study, document["seq"])
        broken = run("audit", "verify", "--database", study, "--checkpoint", str(kept))
        assert broken.returncode == 1
        assert "entries were removed from the end" in broken.stdout

    def test_a_checkpoint_file_with_a_changed_seq_fails_verification(self, study: str, tmp_path: Path):
        """A kept checkpoint edited by hand no longer matches its signature: exit 1."""
        kept = tmp_path / "checkpoint.json"
        assert run("audit", "checkpoint", "--database", study, "--out", str(kept)).returncode == 0
        document = json.loads(kept.read_text())
        kept.write_text(json.dumps(document | {"seq": document["seq"] - 1}))
        result = run("audit", "verify", "--database", study, "--checkpoint", str(kept))
        assert result.returncode == 1
        assert "signature does not match" in result.stdout


class TestBadInput:
    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"not json", "Expecting value"),
            (b'{"format": "other"}', "not a checkpoint"),
            (b"\xff\xfe", "not UTF-8"),
            (b"[" * 100_000, "larger than"),
        ],
    )
    def test_a_bad_checkpoint_file_exits_2_in_one_line(self, tmp_path: Path, content: bytes, message: str):
        """A checkpoint file that is not one exits 2 naming --checkpoint, without a traceback."""
        path = tmp_path / "bad.json"
        path.write_bytes(content)
        line = one_line_error(run("audit", "verify", "--checkpoint", str(path)))
        assert "--checkpoint" in line
        assert message in line

    def test_a_missing_checkpoint_file_exits_2(self, tmp_path: Path):
        """A --checkpoint path that does not exist exits 2 in one line."""
        line = one_line_error(run("audit", "verify", "--checkpoint", str(tmp_path / "none.json")))
        assert "cannot read" in line

    def test_an_existing_out_file_is_not_overwritten(self, tmp_path: Path):
        """checkpoint --out refuses a file that exists, before touching the database."""
        existing = tmp_path / "kept.json"
        existing.write_text("keep me")
        line = one_line_error(run("audit", "checkpoint", "--out", str(existing)))
        assert "exists already" in line
        assert existing.read_text() == "keep me"

    @pytest.mark.parametrize(
        ("environment", "variable"),
        [({}, "REMISSION_AUDIT_KEY"), ({"REMISSION_AUDIT_KEY": "a" * 32}, "REMISSION_AUDIT_KEY")],
    )
    def test_production_without_a_strong_key_exits_2(
        self, tmp_path: Path, environment: dict[str, str], variable: str
    ):
        """In production a missing key, or 32 times 'a', stops verify with one line naming the variable."""
        url = seed_sqlite(tmp_path)
        env = {"REMISSION_ENV": "production", **environment}
        line = one_line_error(run("audit", "verify", "--database", url, env=env))
        assert variable in line
