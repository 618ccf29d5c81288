"""The ``remission`` command loads the heavy libraries only for the commands that need them.

``--help`` and ``screen`` run in a fresh interpreter, which then reports what it imported; the
store, analysis and registry commands load lazily, and their line in ``--help`` must stay theirs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from remission.cli.main import LAZY, LazyGroup, app, load_command

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = sorted((REPO / "examples" / "patients").glob("INF-01-*.json"))[0]
HEAVY = ("pandas", "pyarrow", "sqlalchemy")

#: Runs the command line in-process from ``sys.argv``, then prints the heavy modules it imported.
PROBE = """
import json, sys
from remission.cli.main import app
try:
    app(sys.argv[1:], prog_name="remission")
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "heavy": [name for name in HEAVY if name in sys.modules]}))
""".replace("HEAVY", repr(HEAVY))


def probe(*args: str) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, object] = json.loads(completed.stdout.splitlines()[-1])
    return result


class TestLightCommands:
    def test_help_imports_no_dataframe_or_database_library(self) -> None:
        """`remission --help` lists every command without importing pandas, pyarrow or SQLAlchemy."""
        assert probe("--help") == {"code": 0, "heavy": []}

    def test_screening_a_record_imports_no_dataframe_or_database_library(self) -> None:
        """`remission screen` on an example record imports neither pandas, pyarrow nor SQLAlchemy."""
        assert probe("screen", str(EXAMPLE), "-p", "NCT06516679", "--json") == {"code": 0, "heavy": []}

    def test_a_store_command_still_loads_the_store(self) -> None:
        """A lazily loaded command does load its module when it runs (here `db --help`)."""
        assert "sqlalchemy" in probe("db", "--help")["heavy"]


class TestLazyCommands:
    @pytest.mark.parametrize("name", sorted(LAZY))
    def test_listed_help_is_the_commands_own_first_paragraph(self, name: str) -> None:
        """The line `--help` shows for a lazy command is the first paragraph of its real help."""
        command = load_command(name)
        own = (command.short_help or command.help or "").split("\n\n")[0].replace("\n", " ").strip()
        assert LAZY[name].help == own

    def test_every_command_is_listed_once(self) -> None:
        """The command list names each registered and each lazy command exactly once."""
        group = typer.main.get_command(app)
        with group.make_context("remission", ["--help"], resilient_parsing=True) as ctx:
            listed = group.list_commands(ctx)
        assert sorted(listed) == sorted(set(group.commands) | set(LAZY))

    def test_help_is_the_same_as_with_every_command_loaded(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """`remission --help` reads the same as when it loads every command to list it."""
        runner = CliRunner()
        lazy = runner.invoke(app, ["--help"], prog_name="remission")
        monkeypatch.setattr(LazyGroup, "format_help", TyperGroup.format_help)
        loaded = runner.invoke(app, ["--help"], prog_name="remission")
        assert lazy.exit_code == loaded.exit_code == 0
        assert lazy.output == loaded.output
        assert all(f" {name} " in lazy.output for name in LAZY)
