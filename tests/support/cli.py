"""Run the ``remission`` command line in the test process, as the installed command would run.

:func:`run_cli` calls :func:`remission.cli.main.main` — the console script's entry point, with
its exit codes and error messages — with ``sys.argv``, standard streams, working directory and
environment set as a subprocess of the tests would have them, and returns the same
:class:`subprocess.CompletedProcess`. It saves an interpreter start and the imports per call; a
few tests per command still run the real subprocess, for the entry point itself.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from remission.cli.main import main

#: The width the subprocess tests gave the command (``COLUMNS``), so tables do not wrap.
COLUMNS = 200


@contextlib.contextmanager
def _wide_consoles() -> Iterator[None]:
    """Give the command modules' consoles, made at import with this process's width, ``COLUMNS``.

    Consoles made during the call (modules loaded lazily, consoles made in a function) read
    ``COLUMNS`` from the environment that :func:`run_cli` sets.
    """
    consoles = [
        value
        for name, module in list(sys.modules.items())
        if name.startswith("remission.cli") and module is not None
        for value in vars(module).values()
        if isinstance(value, Console)
    ]
    saved = [(console, console._width) for console in consoles]
    for console in consoles:
        console.width = COLUMNS
    try:
        yield
    finally:
        for console, width in saved:
            console._width = width


def run_cli(
    *args: str, cwd: Path, stdin: str = "", env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``remission ARGS`` in ``cwd``: exit status, standard output and standard error.

    The environment holds no ``REMISSION_*`` variable of the test process, only those in ``env``.
    """
    cleared: dict[str, str | None] = {name: None for name in os.environ if name.startswith("REMISSION_")}
    overrides = cleared | {"COLUMNS": str(COLUMNS)} | dict(env or {})
    runner = CliRunner()
    code: int | str | None = 0
    with (
        runner.isolation(input=stdin, env=overrides) as (stdout, stderr, _),
        contextlib.chdir(cwd),
        _wide_consoles(),
        _argv(["remission", *args]),
    ):
        try:
            main()
        except SystemExit as exit:
            code = exit.code
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    returncode = code if isinstance(code, int) else (0 if code is None else 1)
    return subprocess.CompletedProcess(["remission", *args], returncode, out, err)


@contextlib.contextmanager
def _argv(argv: list[str]) -> Iterator[None]:
    saved = sys.argv
    sys.argv = argv
    try:
        yield
    finally:
        sys.argv = saved
