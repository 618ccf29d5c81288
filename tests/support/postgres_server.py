"""A throwaway PostgreSQL server for the test session, from Debian's ``postgresql`` package.

PostgreSQL refuses to run as root, so when the tests run as root (as in CI) the
server runs as the ``postgres`` system user that the Debian package creates.
The server listens on 127.0.0.1 on a free port, with fsync off (test data only).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

_START_ATTEMPTS = 3


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine (``make test`` installs them)."""


def _bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if not candidates:
        raise PostgresUnavailable("no /usr/lib/postgresql/*/bin; install Debian's postgresql package")
    return Path(candidates[-1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    data_dir: Path
    port: int
    bin_dir: Path
    run_as: str | None

    @property
    def version(self) -> str:
        return self.bin_dir.parent.name

    def url(self, dbname: str, user: str = "postgres") -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True)

    @classmethod
    def start(cls, base: Path) -> PostgresServer:
        bin_dir = _bin_dir()
        run_as = "postgres" if os.geteuid() == 0 else None
        base.mkdir(parents=True, exist_ok=True)
        data_dir = base / "data"
        server = cls(data_dir, _free_port(), bin_dir, run_as)
        if run_as:
            owner = pwd.getpwnam(run_as)
            os.chown(base, owner.pw_uid, owner.pw_gid)
            os.chmod(base, 0o700)
        server._run("initdb", "-D", str(data_dir), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        # The free port is only free when asked; another test worker (or anything else) may take it
        # before the server binds it, so a failed start tries again on a new port.
        log = str(base / "log")
        for attempt in range(_START_ATTEMPTS):
            options = f"-p {server.port} -c listen_addresses=127.0.0.1 -k {base}"
            options += " -c fsync=off -c full_page_writes=off"
            try:
                server._run("pg_ctl", "-D", str(data_dir), "-o", options, "-l", log, "-w", "start")
            except subprocess.CalledProcessError:
                if attempt == _START_ATTEMPTS - 1:
                    raise
                server.port = _free_port()
            else:
                return server
        raise AssertionError("unreachable")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)
