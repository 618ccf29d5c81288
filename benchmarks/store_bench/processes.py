"""The database and the `remission serve` process under test."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import httpx
import psutil
from sqlalchemy import create_engine, text
from tests.support.postgres_server import PostgresServer

from store_bench.common import API, REMISSION, REPO


class Database:
    """The database under test: a fresh PostgreSQL server and database, or a SQLite file."""

    def __init__(self, backend: str, workdir: Path, *, durable: bool) -> None:
        self.backend = backend
        self.workdir = workdir
        self.pg: PostgresServer | None = None
        self.settings: dict[str, str] = {}
        if backend == "postgresql":
            self.pg = PostgresServer.start(workdir / "pg")
            if durable:
                # PostgresServer starts with -c fsync=off -c full_page_writes=off (test data);
                # command-line settings outrank ALTER SYSTEM, so restart without them.
                base = self.pg.data_dir.parent
                options = f"-p {self.pg.port} -c listen_addresses=127.0.0.1 -k {base}"
                self.pg._run(
                    "pg_ctl",
                    "-D",
                    str(self.pg.data_dir),
                    "-o",
                    options,
                    "-l",
                    str(base / "log"),
                    "-w",
                    "restart",
                )
            admin = create_engine(self.pg.url("postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text("CREATE DATABASE remission_bench"))
                for name in (
                    "fsync",
                    "synchronous_commit",
                    "full_page_writes",
                    "wal_sync_method",
                    "max_connections",
                    "server_version",
                ):
                    self.settings[name] = connection.execute(text(f"SHOW {name}")).scalar_one()
            admin.dispose()
            self.url = self.pg.url("remission_bench")
        else:
            self.url = f"sqlite:///{workdir / 'bench.sqlite'}"
            self.settings["journal_mode"] = "WAL (set by the store)"
        self.engine = create_engine(self.url)

    def postgres_pids(self) -> list[int]:
        if self.pg is None:
            return []
        try:
            postmaster = int((self.pg.data_dir / "postmaster.pid").read_text().split()[0])
            proc = psutil.Process(postmaster)
            return [postmaster, *(child.pid for child in proc.children(recursive=True))]
        except (OSError, psutil.Error, ValueError):
            return []

    def close(self) -> None:
        self.engine.dispose()
        if self.pg is not None:
            self.pg.stop()


# --------------------------------------------------------------------------- the server


class Server:
    """``remission serve`` in its own process group, so SIGKILL reaches every worker."""

    def __init__(
        self, database_url: str, port: int, workers: int, workdir: Path, experiment: str = ""
    ) -> None:
        self.database_url = database_url
        self.port = port
        self.workers = workers
        self.workdir = workdir
        self.env = {
            **os.environ,
            "REMISSION_ENV": "development",
            "REMISSION_SECRET_KEY": secrets.token_urlsafe(48),  # shared by all workers and restarts
        }
        self.env.pop("REMISSION_DATABASE_URL", None)
        if experiment:
            self.env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(REPO / "benchmarks" / "experiments"), os.environ.get("PYTHONPATH")])
            )
            self.env["REMISSION_BENCH_EXPERIMENT"] = experiment
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> float:
        """Start the server; return the seconds until all workers answer /health."""
        self.starts += 1
        logfile = open(self.workdir / f"server-{self.starts}.log", "wb")  # noqa: SIM115
        started = time.monotonic()
        self.process = subprocess.Popen(
            [
                REMISSION,
                "serve",
                "--database",
                self.database_url,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            env=self.env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        logfile.close()
        deadline = started + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited with {self.process.returncode}; see {logfile.name}")
                try:
                    if client.get(f"{self.base_url}{API}/health").status_code == 200 and self._workers_up():
                        return time.monotonic() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"server did not answer within {timeout} s")

    def _workers_up(self) -> bool:
        if self.workers == 1:
            return True
        return len(self.worker_pids()) >= self.workers

    def pids(self) -> list[int]:
        if self.process is None or self.process.poll() is not None:
            return []
        try:
            root = psutil.Process(self.process.pid)
            return [root.pid, *(child.pid for child in root.children(recursive=True))]
        except psutil.Error:
            return []

    def worker_pids(self) -> list[int]:
        """The processes that serve requests (uvicorn's workers; the process itself with one)."""
        if self.workers == 1 or self.process is None:
            return self.pids()[:1]
        try:
            root = psutil.Process(self.process.pid)
            return [
                child.pid for child in root.children() if "resource_tracker" not in " ".join(child.cmdline())
            ]
        except psutil.Error:
            return []

    def kill(self) -> None:
        """SIGKILL to the whole process group: master and every worker at once."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # orphaned workers die with the group too
            alive = [p for p in psutil.process_iter(["pid"]) if _in_group(p.pid, self.process.pid)]
            if not alive:
                return
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _in_group(pid: int, pgid: int) -> bool:
    try:
        return os.getpgid(pid) == pgid
    except OSError:
        return False


# --------------------------------------------------------------------------- resource sampling


def _tree(root: int) -> list[psutil.Process]:
    try:
        proc = psutil.Process(root)
        return [proc, *proc.children(recursive=True)]
    except (psutil.Error, ValueError):
        return []
