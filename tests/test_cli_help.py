"""``--help`` shows boolean options as plain flags (``--json``), never as taking a value (``--json <bool>``).

Typer's own options (``--help`` on every command, the completion options of ``remission``) still
read ``<bool>``: Typer makes them, they are not declared here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from remission.cli.main import app

runner = CliRunner()
#: The options Typer adds by itself.
TYPERS_OWN = ("--help", "--install-completion", "--show-completion")


def command_paths() -> Iterator[tuple[str, ...]]:
    """The path of every command and group of ``remission``, lazy ones loaded."""

    def walk(group: TyperGroup, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        with group.make_context("remission", ["--help"], resilient_parsing=True) as ctx:
            for name in group.list_commands(ctx):
                command = group.get_command(ctx, name)
                yield (*path, name)
                if isinstance(command, TyperGroup):
                    yield from walk(command, (*path, name))

    yield ()
    yield from walk(typer.main.get_command(app), ())


def help_text(*path: str) -> str:
    result = runner.invoke(app, [*path, "--help"], prog_name="remission", env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    return result.output


class TestFlagsInHelp:
    def test_screen_shows_json_as_a_plain_flag(self):
        """`screen --help` lists --json with its help and no value placeholder."""
        line = next(line for line in help_text("screen").splitlines() if "--json" in line)
        assert "<bool>" not in line
        assert "Print JSON instead of tables." in line

    @pytest.mark.parametrize("path", list(command_paths()), ids=lambda path: " ".join(path) or "remission")
    def test_no_declared_flag_shows_a_value(self, path: tuple[str, ...]):
        """No option of any command but Typer's own is shown taking a <bool>."""
        lines = help_text(*path).splitlines()
        shown = [line for line in lines if "<bool>" in line and not any(own in line for own in TYPERS_OWN)]
        assert shown == []
