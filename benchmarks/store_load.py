"""Load and fault run of the study store's REST API (issue 3).

Starts a throwaway PostgreSQL server (``tests/support/postgres_server.py``) or a
SQLite file, prepares a study (schema, a site, coordinators, patients), starts
``remission serve`` as a subprocess and drives it with N concurrent clients, each
with its own bearer token, POSTing adverse events and MRD results with a unique
``Idempotency-Key`` per write. It prints throughput (acknowledged writes/s),
p50/p99/max latency, errors and the server's memory and CPU.

``--fault`` kills the server's whole process group with SIGKILL in the middle of
the load and restarts it on the same port; every client retries its unacknowledged
write with the same key and body until it is acknowledged. Afterwards the database
is checked directly: every acknowledged write is there exactly once (matched by a
unique marker in the row: the adverse event ``term`` or the MRD ``value_fraction``),
nothing is stored twice, idempotency keys and rows correspond one to one, every row
has its audit entries, and ``remission audit verify`` passes.

By default each client sends its next write as soon as the last one is acknowledged
(closed loop: this measures capacity, and latency is then mostly queueing); ``--rate R``
offers R writes/s in all on a fixed schedule (open loop), latency counted from when a
write was due. ``--durable`` turns PostgreSQL's fsync back on; ``--lockwatch`` and
``--experiment`` load ``benchmarks/experiments/sitecustomize.py`` into the server to time
the audit-chain lock or to try server settings; ``--py-spy FILE`` profiles the workers.
Other sessions may share the machine: each run waits (bounded) for it to be quiet and
reports the CPU that other work used during the run.

Usage (from the repository root)::

    .venv/bin/python benchmarks/store_load.py [--clients 50] [--seconds 20] [--workers 2] [--fault]
    .venv/bin/python benchmarks/store_load.py --backend sqlite --workers 1

Exit status: 0 when the integrity checks pass (and, with ``--require-goal``, the
throughput goal is met), 1 otherwise. Every loop here is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.postgres_server import PostgresServer  # noqa: E402

API = "/api/v1"
REMISSION = str(Path(sys.executable).parent / "remission")
GOAL_WRITES_PER_S = 300.0
GOAL_P99_MS = 100.0
PASSWORD = "bench-password-" + "x" * 8  # at least 12 characters
SITE = "BENCH"
ATTRIBUTIONS = ("unrelated", "unlikely", "possible", "probable", "definite")
MRD_TIME_POINTS = ("end of induction", "after consolidation 1", "after consolidation 2")
MRD_METHODS = ("flow cytometry", "IG/TR RQ-PCR", "NGS")
MARKER_SCALE = 1e9  # MRD value_fraction = marker / MARKER_SCALE, a unique number per write


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(*args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [REMISSION, *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"remission {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


# --------------------------------------------------------------------------- the database


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


class Sampler:
    """Samples memory and CPU of the server processes and PostgreSQL, and what PostgreSQL's
    backends are doing, from a forked process, so that sampling never holds up the clients'
    event loop. The machine's total CPU is sampled too: other work on it shows up there."""

    def __init__(self, server: Server, database: Database, interval: float = 0.5) -> None:
        context = multiprocessing.get_context("fork")
        self.server, self.database, self.interval = server, database, interval
        self.root_pid = context.Value("i", server.process.pid if server.process else 0)
        self._stop = context.Event()
        self._receive, self._send = context.Pipe(duplex=False)
        self._process = context.Process(target=self._child, daemon=True)
        self._client = psutil.Process()
        self.result: dict[str, Any] = {}

    def server_restarted(self) -> None:
        self.root_pid.value = self.server.process.pid  # type: ignore[union-attr]

    def start(self) -> None:
        self._process.start()
        self._receive.poll(10)  # the child's first sample is taken
        self._receive.recv()
        self.client_cpu_start = sum(self._client.cpu_times()[:2])
        self.wall_start = time.monotonic()

    def stop(self) -> dict[str, Any]:
        self.client_cpu = sum(self._client.cpu_times()[:2]) - self.client_cpu_start
        self.wall = time.monotonic() - self.wall_start
        self._stop.set()
        if self._receive.poll(30):
            self.result = self._receive.recv()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
        return self.result

    # The rest runs in the forked child.

    def _child(self) -> None:
        state: dict[str, Any] = {
            "cpu": {"server": {}, "postgres": {}},
            "cpu_start": {"server": {}, "postgres": {}},
            "peak_server_rss": 0,
            "peak_worker_rss": 0,
            "peak_pss": {"server": 0, "postgres": 0},
            "pg_waits": Counter(),
            "pg_samples": 0,
            "samples": 0,
        }
        engine = create_engine(self.database.pg.url("postgres"), pool_size=1) if self.database.pg else None
        machine_start = psutil.cpu_times()
        self._sample(state, first=True)
        self._send.send("started")
        limit = time.monotonic() + 600  # bounded: never samples for more than ten minutes
        errors: Counter[str] = Counter()
        while not self._stop.wait(self.interval) and time.monotonic() < limit:
            try:
                self._sample(state)
                if engine is not None:
                    self._sample_waits(engine, state)
            except Exception as error:  # a lost sample must not end the sampling
                errors[type(error).__name__] += 1
        try:
            self._sample(state)
        except Exception as error:
            errors[type(error).__name__] += 1
        machine_end = psutil.cpu_times()
        me = psutil.Process().cpu_times()

        def busy(times: Any) -> float:
            return sum(times) - times.idle - getattr(times, "iowait", 0.0)

        def cpu_seconds(name: str) -> float:
            return sum(v - state["cpu_start"][name].get(pid, 0.0) for pid, v in state["cpu"][name].items())

        self._send.send(
            {
                "peak_server_rss": state["peak_server_rss"],
                "peak_worker_rss": state["peak_worker_rss"],
                "peak_pss": state["peak_pss"],
                "cpu_server": cpu_seconds("server"),
                "cpu_postgres": cpu_seconds("postgres"),
                "cpu_sampler": me.user + me.system,
                "cpu_machine_busy": busy(machine_end) - busy(machine_start),
                "pg_waits": dict(state["pg_waits"]),
                "pg_samples": state["pg_samples"],
                "sampling_errors": dict(errors),
            }
        )
        if engine is not None:
            engine.dispose()

    def _sample(self, state: dict[str, Any], *, first: bool = False) -> None:
        server = _tree(self.root_pid.value)
        if self.server.workers == 1:
            workers = {p.pid for p in server[:1]}
        else:
            workers = {p.pid for p in server[1:] if p.ppid() == self.root_pid.value}
            workers -= {p.pid for p in server if "resource_tracker" in " ".join(_cmdline(p))}
        postgres = []
        for pid in self._postgres_pids():
            try:
                postgres.append(psutil.Process(pid))
            except psutil.Error:  # a backend that has just exited
                continue
        groups = {"server": server, "postgres": postgres}
        state["samples"] += 1
        with_pss = state["samples"] % 8 == 1  # proportional set size (shared pages split), every 4 s
        for name, procs in groups.items():
            total_rss, total_pss = 0, 0
            for proc in procs:
                try:
                    with proc.oneshot():
                        times = proc.cpu_times()
                        rss = proc.memory_info().rss
                    if with_pss:
                        total_pss += proc.memory_full_info().pss
                except (psutil.Error, AttributeError):
                    continue
                cpu = times.user + times.system
                if first:
                    state["cpu_start"][name][proc.pid] = cpu
                state["cpu"][name][proc.pid] = cpu
                total_rss += rss
                if name == "server" and proc.pid in workers:
                    state["peak_worker_rss"] = max(state["peak_worker_rss"], rss)
            if name == "server":
                state["peak_server_rss"] = max(state["peak_server_rss"], total_rss)
            if with_pss:
                state["peak_pss"][name] = max(state["peak_pss"][name], total_pss)

    def _postgres_pids(self) -> list[int]:
        return self.database.postgres_pids()

    def _sample_waits(self, engine: Any, state: dict[str, Any]) -> None:
        query = text(
            "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
            "WHERE datname = 'remission_bench' AND pid <> pg_backend_pid()"
        )
        try:
            with engine.connect() as connection:
                rows = connection.execute(query).all()
        except Exception:
            return
        state["pg_samples"] += 1
        for backend_state, kind, event in rows:
            if backend_state == "idle":
                continue
            if backend_state == "idle in transaction":
                label = "idle in transaction (waiting for the app)"
            elif kind is None:
                label = "active, on CPU"
            else:
                label = f"active, waiting {kind}:{event}"
            state["pg_waits"][label] += 1


def _cmdline(proc: psutil.Process) -> list[str]:
    try:
        return proc.cmdline()
    except psutil.Error:
        return []


# --------------------------------------------------------------------------- setup


@dataclass
class Study:
    tokens: list[str]
    patient_ids: list[int]


def prepare(database: Database, users: int) -> None:
    """Schema, the site and the coordinators, through the command line as an operator would."""
    run_cli("db", "upgrade", "--database", database.url)
    run_cli("site", "add", SITE, "--name", "Benchmark site", "--database", database.url)
    for n in range(users):
        run_cli(
            "user",
            "add",
            "--username",
            f"coord{n}",
            "--role",
            "coordinator",
            "--site",
            SITE,
            "--database",
            database.url,
            stdin=PASSWORD + "\n",
        )


def sign_in_all(server: Server, clients: int, users: int, patients: int) -> Study:
    """One token per client (Argon2 sign-in is outside the measured loop); a few patients."""
    tokens: list[str] = []
    with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
        for n in range(clients):
            response = http.post(
                f"{API}/auth/token", data={"username": f"coord{n % users}", "password": PASSWORD}
            )
            response.raise_for_status()
            tokens.append(response.json()["access_token"])
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        patient_ids = []
        for n in range(patients):
            response = http.post(
                f"{API}/patients",
                headers=headers,
                json={
                    "study_id": f"BENCH-{n:04d}",
                    "sex": "female" if n % 2 else "male",
                    "date_of_birth": "2025-03-01",
                },
            )
            if response.status_code != 201:
                raise RuntimeError(f"creating a patient failed: {response.status_code} {response.text}")
            patient_ids.append(response.json()["id"])
    return Study(tokens, patient_ids)


# --------------------------------------------------------------------------- the load


@dataclass
class Write:
    kind: str  # "ae" or "mrd"
    marker: str  # AE term, or the MRD marker number as a string
    key: str
    patient_id: int
    body: dict[str, Any]
    started: float = 0.0
    acked: bool = False
    acked_at: float = 0.0
    attempts: int = 0
    replayed: bool = False
    row_id: int | None = None
    final_status: int | None = None
    abandoned: bool = False


@dataclass
class Stats:
    attempt_latencies: list[tuple[float, float]] = field(default_factory=list)  # (finished, seconds) of 201s
    write_latencies: list[tuple[float, float]] = field(default_factory=list)  # first try to ack
    transport_errors: Counter[str] = field(default_factory=Counter)
    http_errors: Counter[int] = field(default_factory=Counter)
    writes: list[Write] = field(default_factory=list)
    resends: Counter[str] = field(default_factory=Counter)


def make_write(client: int, n: int, patient_ids: list[int], mrd_share: float, rng: random.Random) -> Write:
    patient_id = rng.choice(patient_ids)
    key = str(uuid.uuid4())
    day = date(2026, 1, 1) + timedelta(days=rng.randrange(200))
    if rng.random() < mrd_share:
        marker = client * 10_000_000 + n + 1  # unique per write; < 1e9 for < 100 clients
        body = {
            "time_point": rng.choice(MRD_TIME_POINTS),
            "method": rng.choice(MRD_METHODS),
            "sample_date": day.isoformat(),
            "value_fraction": marker / MARKER_SCALE,
            "sensitivity_fraction": 1e-5,
        }
        return Write("mrd", str(marker), key, patient_id, body)
    term = f"bench {uuid.uuid4()}"
    body = {
        "term": term,
        "grade": rng.randint(1, 5),
        "onset_date": day.isoformat(),
        "serious": rng.random() < 0.1,
        "attribution": rng.choice(ATTRIBUTIONS),
    }
    return Write("ae", term, key, patient_id, body)


def path_of(write: Write) -> str:
    segment = "adverse-events" if write.kind == "ae" else "mrd"
    return f"{API}/patients/{write.patient_id}/{segment}"


async def send_until_acked(
    http: httpx.AsyncClient,
    write: Write,
    stats: Stats,
    *,
    write_timeout: float,
    max_attempts: int,
    due: float | None = None,
) -> None:
    """POST the write; on a lost connection or a 5xx, repeat it with the same key and body.
    Its latency runs from when it was due (open loop) or first sent, to its acknowledgement."""
    write.started = due if due is not None else time.monotonic()
    backoff = 0.02
    while write.attempts < max_attempts and time.monotonic() - write.started < write_timeout:
        write.attempts += 1
        sent = time.monotonic()
        try:
            response = await http.post(
                path_of(write), json=write.body, headers={"Idempotency-Key": write.key}
            )
        except httpx.TransportError as error:
            stats.transport_errors[type(error).__name__] += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 0.5)
            continue
        now = time.monotonic()
        write.final_status = response.status_code
        if response.status_code == 201:
            write.acked, write.acked_at = True, now
            write.replayed = response.headers.get("Idempotent-Replayed") == "true"
            write.row_id = response.json()["id"]
            stats.attempt_latencies.append((now, now - sent))
            stats.write_latencies.append((now, now - write.started))
            return
        stats.http_errors[response.status_code] += 1
        if response.status_code < 500:
            return  # a refusal: repeating the same request cannot help
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, 0.5)
    write.abandoned = True


async def client_loop(
    index: int, token: str, base_url: str, study: Study, stats: Stats, *, end: float, args: argparse.Namespace
) -> None:
    rng = random.Random(index)
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    timeout = httpx.Timeout(args.request_timeout)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=timeout) as http:
        n = 0
        # Open loop (--rate): each client sends on a fixed schedule, whatever the answers take;
        # a write that cannot be sent on time is late, and its latency counts from when it was due.
        interval = args.clients / args.rate if args.rate else 0.0
        due = time.monotonic() + rng.uniform(0, interval) if interval else None
        while time.monotonic() < end and n < args.max_writes_per_client:
            if due is not None:
                if due >= end:
                    break
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            write = make_write(index, n, study.patient_ids, args.mrd_share, rng)
            n += 1
            stats.writes.append(write)
            await send_until_acked(
                http,
                write,
                stats,
                write_timeout=args.write_timeout,
                max_attempts=args.max_attempts,
                due=due,
            )
            if due is not None:
                due += interval
            if write.acked and rng.random() < args.resend_share:
                await resend(http, write, stats)


async def resend(http: httpx.AsyncClient, write: Write, stats: Stats) -> None:
    """Send an acknowledged write again, as a client unsure of the answer would: it must be replayed."""
    try:
        response = await http.post(path_of(write), json=write.body, headers={"Idempotency-Key": write.key})
    except httpx.TransportError as error:
        stats.resends["transport error: " + type(error).__name__] += 1
        return
    replayed = response.headers.get("Idempotent-Replayed") == "true"
    same = response.status_code == 201 and response.json().get("id") == write.row_id
    stats.resends[
        "replayed, same row" if replayed and same else f"NOT replayed ({response.status_code})"
    ] += 1


async def fault_injector(server: Server, at: float, events: dict[str, Any], sampler: Sampler) -> None:
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    log(f"SIGKILL to the server's process group (pids {server.pids()})")
    killed = time.monotonic()
    await asyncio.to_thread(server.kill)
    events["killed_at"] = killed
    startup = await asyncio.to_thread(server.start)
    sampler.server_restarted()
    events["restarted_at"] = time.monotonic()
    events["downtime_s"] = events["restarted_at"] - killed
    log(
        f"server restarted; answering again {events['downtime_s']:.2f} s after the kill "
        f"(startup {startup:.2f} s)"
    )


async def drive(
    server: Server, study: Study, args: argparse.Namespace, sampler: Sampler
) -> tuple[Stats, dict[str, Any]]:
    stats = Stats()
    events: dict[str, Any] = {}
    start = time.monotonic()
    end = start + args.seconds
    events["start"], events["end"] = start, end
    tasks = [
        asyncio.create_task(
            client_loop(i, study.tokens[i], server.base_url, study, stats, end=end, args=args)
        )
        for i in range(args.clients)
    ]
    if args.fault:
        tasks.append(asyncio.create_task(fault_injector(server, start + args.kill_after, events, sampler)))
    hard_limit = args.seconds + args.write_timeout + 60
    done, pending = await asyncio.wait(tasks, timeout=hard_limit)
    for task in pending:
        task.cancel()
    events["cancelled_tasks"] = len(pending)
    for task in done:
        if task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    events["finished"] = time.monotonic()
    return stats, events


# --------------------------------------------------------------------------- figures


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))  # nearest rank
    return ordered[rank]


def figures(stats: Stats, events: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    window_start = events["start"] + args.warmup
    window_end = events["end"]
    window = window_end - window_start
    in_window = [lat for (t, lat) in stats.attempt_latencies if window_start <= t <= window_end]
    writes_in_window = [lat for (t, lat) in stats.write_latencies if window_start <= t <= window_end]
    acked = [w for w in stats.writes if w.acked]
    result = {
        "window_s": round(window, 2),
        "acked_in_window": len(writes_in_window),
        "writes_per_s": round(len(writes_in_window) / window, 1) if window > 0 else 0.0,
        "p50_ms": round(percentile(writes_in_window, 50) * 1000, 1),
        "p90_ms": round(percentile(writes_in_window, 90) * 1000, 1),
        "p99_ms": round(percentile(writes_in_window, 99) * 1000, 1),
        "max_ms": round(max(writes_in_window, default=float("nan")) * 1000, 1),
        "attempt_p50_ms": round(percentile(in_window, 50) * 1000, 1),
        "attempt_p99_ms": round(percentile(in_window, 99) * 1000, 1),
        "attempt_max_ms": round(max(in_window, default=float("nan")) * 1000, 1),
        "writes_total": len(stats.writes),
        "acked_total": len(acked),
        "acked_by_replay": sum(1 for w in acked if w.replayed),
        "retried_writes": sum(1 for w in stats.writes if w.attempts > 1),
        "abandoned": sum(1 for w in stats.writes if w.abandoned),
        "refused": sum(1 for w in stats.writes if not w.acked and not w.abandoned),
        "transport_errors": dict(stats.transport_errors),
        "http_errors": {str(k): v for k, v in stats.http_errors.items()},
        "errors": sum(stats.transport_errors.values()) + sum(stats.http_errors.values()),
        "resends": dict(stats.resends),
    }
    return result


def summarise_lockwatch(directory: Path, wall: float) -> dict[str, Any]:
    """Combine the per-worker lock timings written by the lockwatch experiment."""
    time.sleep(2.5)  # the workers dump every two seconds
    records: list[list[float]] = []
    totals: Counter[str] = Counter()
    for path in directory.glob("lockwatch-*.json"):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        records.extend(data.get("records", []))
        totals.update(data.get("totals", {}))
    if not records:
        return {}
    wait, hold, db, statements, cpu = (list(column) for column in zip(*records, strict=True))
    n = len(records)

    def ms(value: float) -> float:
        return round(value * 1000, 2)

    return {
        "transactions": n,
        "server_totals": dict(totals),  # since the server started, set-up requests included
        "held_share": sum(hold) / wall,
        "wait_p50_ms": ms(percentile(wait, 50)),
        "wait_p99_ms": ms(percentile(wait, 99)),
        "hold_mean_ms": ms(sum(hold) / n),
        "hold_p50_ms": ms(percentile(hold, 50)),
        "hold_p99_ms": ms(percentile(hold, 99)),
        "db_mean_ms": ms(sum(db) / n),
        "statements_mean": round(sum(statements) / n, 2),
        "cpu_mean_ms": ms(sum(cpu) / n),
        "off_cpu_mean_ms": ms((sum(hold) - sum(cpu)) / n),
    }


def summarise_resources(
    sample: dict[str, Any], sampler: Sampler, acked: int, database: Database
) -> dict[str, Any]:
    mib = 2**20
    cpu = {
        "server": sample.get("cpu_server", 0.0),
        "postgres": sample.get("cpu_postgres", 0.0),
        "client": sampler.client_cpu,
        "sampler": sample.get("cpu_sampler", 0.0),
    }
    machine_busy = sample.get("cpu_machine_busy", 0.0)
    resources: dict[str, Any] = {
        "server_rss_peak_mib": round(sample.get("peak_server_rss", 0) / mib, 1),
        "worker_rss_peak_mib": round(sample.get("peak_worker_rss", 0) / mib, 1),
        "server_pss_peak_mib": round(sample.get("peak_pss", {}).get("server", 0) / mib, 1),
        "postgres_pss_peak_mib": (
            round(sample.get("peak_pss", {}).get("postgres", 0) / mib, 1) if database.pg else None
        ),
        "wall_s": round(sampler.wall, 1),
        "sampling_errors": sample.get("sampling_errors", "sampler returned nothing"),
        "cores_machine_busy": round(machine_busy / sampler.wall, 2),
        "cores_other_work": round(max(0.0, machine_busy - sum(cpu.values())) / sampler.wall, 2),
    }
    for name, seconds in cpu.items():
        resources[f"cpu_s_{name}"] = round(seconds, 1)
        resources[f"cores_{name}"] = round(seconds / sampler.wall, 2)
        if acked:
            resources[f"cpu_ms_per_write_{name}"] = round(seconds * 1000 / acked, 2)
    return resources


# --------------------------------------------------------------------------- checking the database


def check_database(database: Database, stats: Stats, study: Study) -> dict[str, Any]:
    """Compare what the clients saw acknowledged with what the database holds."""
    problems: list[str] = []
    with database.engine.connect() as connection:
        ae_rows = connection.execute(
            text("SELECT id, term FROM adverse_events WHERE term LIKE 'bench %'")
        ).all()
        mrd_rows = connection.execute(text("SELECT id, value_fraction FROM mrd_results")).all()
        key_rows = connection.execute(text("SELECT user_id, key FROM idempotency_keys")).all()
        # The marker field's own create entry ties a row to its audit entries by content.
        audited = connection.execute(
            text(
                "SELECT entity, entity_id, new_value FROM audit_entries WHERE action = 'create' AND "
                "((entity = 'adverse_events' AND field = 'term') "
                "OR (entity = 'mrd_results' AND field = 'value_fraction'))"
            )
        ).all()
    stored: Counter[tuple[str, str]] = Counter()
    ids: dict[tuple[str, str], list[int]] = {}
    for row_id, term in ae_rows:
        stored[("ae", term)] += 1
        ids.setdefault(("ae", term), []).append(row_id)
    for row_id, value in mrd_rows:
        marker = str(round(value * MARKER_SCALE))
        stored[("mrd", marker)] += 1
        ids.setdefault(("mrd", marker), []).append(row_id)

    written = {(w.kind, w.marker): w for w in stats.writes}
    acked = [w for w in stats.writes if w.acked]
    missing = [w for w in acked if stored[(w.kind, w.marker)] == 0]
    duplicated = [marker for marker, count in stored.items() if count > 1]
    wrong_id = [
        w for w in acked if stored[(w.kind, w.marker)] == 1 and ids[(w.kind, w.marker)][0] != w.row_id
    ]
    unknown = [marker for marker in stored if marker not in written]
    unacked_stored = [w for w in stats.writes if not w.acked and stored[(w.kind, w.marker)] > 0]
    rows = len(ae_rows) + len(mrd_rows)
    not_replayed = sum(v for k, v in stats.resends.items() if k.startswith("NOT replayed"))
    if not_replayed:
        problems.append(f"{not_replayed} repeated writes were not answered from their idempotency key")
    if missing:
        problems.append(f"{len(missing)} acknowledged writes are missing")
    if duplicated:
        problems.append(f"{len(duplicated)} writes are stored more than once")
    if wrong_id:
        problems.append(f"{len(wrong_id)} acknowledged writes have another row id than the answer said")
    if unknown:
        problems.append(f"{len(unknown)} stored rows match no write of this run")
    if len(key_rows) != rows:
        problems.append(f"{len(key_rows)} idempotency keys but {rows} rows")
    keys_stored = {key for _, key in key_rows}
    keys_acked = {w.key for w in acked}
    if not keys_acked <= keys_stored:
        problems.append(f"{len(keys_acked - keys_stored)} acknowledged keys have no stored key")
    audit_markers: Counter[tuple[str, str]] = Counter()
    audit_wrong_id = 0
    for entity, entity_id, new_value in audited:
        value = json.loads(new_value)
        if entity == "adverse_events" and str(value).startswith("bench "):
            marker = ("ae", value)
        elif entity == "mrd_results":
            marker = ("mrd", str(round(float(value) * MARKER_SCALE)))
        else:
            continue
        audit_markers[marker] += 1
        if entity_id not in ids.get(marker, []):
            audit_wrong_id += 1
    if audit_wrong_id:
        problems.append(f"{audit_wrong_id} audit create entries do not name the id of their row")
    if audit_markers != stored:
        unaudited = sum(1 for m in stored if audit_markers[m] != stored[m])
        extra = sum(1 for m in audit_markers if m not in stored)
        problems.append(
            f"audit create entries do not match the rows: {unaudited} rows without exactly one, "
            f"{extra} entries for rows that are not stored"
        )
    verify = subprocess.run(
        [REMISSION, "audit", "verify", "--database", database.url],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if verify.returncode != 0:
        problems.append(f"audit verify failed: {verify.stdout.strip()} {verify.stderr.strip()}")
    return {
        "rows": rows,
        "acked": len(acked),
        "missing": len(missing),
        "duplicated": len(duplicated),
        "wrong_id": len(wrong_id),
        "unknown_rows": len(unknown),
        "unacked_but_stored": len(unacked_stored),
        "idempotency_keys": len(key_rows),
        "audited_rows": sum(audit_markers.values()),
        "audit_entries_with_wrong_entity_id": audit_wrong_id,
        "audit_verify": verify.stdout.strip(),
        "audit_verify_exit": verify.returncode,
        "problems": problems,
        "passed": not problems,
    }


# --------------------------------------------------------------------------- main


def code_version() -> dict[str, Any]:
    """The commit, and a digest of src/ as it is on disk (others may be editing it)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((REPO / "src").rglob("*.py")):
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.count("\n")
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "?", -1
    return {"commit": commit, "src_files_changed": dirty, "src_digest": digest.hexdigest()[:12]}


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20, help="Load duration (at most 60).")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="Open loop: offer this many writes/s in all, spread over the clients (default: closed loop, "
        "each client sends its next write as soon as the last is acknowledged).",
    )
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--fault", action="store_true", help="SIGKILL and restart the server mid-load.")
    parser.add_argument("--kill-after", type=float, default=None, help="Seconds into the load (default 1/3).")
    parser.add_argument(
        "--durable", action="store_true", help="PostgreSQL with fsync and full_page_writes on."
    )
    parser.add_argument("--mrd-share", type=float, default=0.5, help="Share of writes that are MRD results.")
    parser.add_argument(
        "--resend-share",
        type=float,
        default=None,
        help="Share of acknowledged writes sent again with the same key (default 0.02 with --fault, else 0).",
    )
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--users", type=int, default=5, help="Coordinator accounts the clients sign in as.")
    parser.add_argument("--warmup", type=float, default=2.0, help="Seconds not counted in the figures.")
    parser.add_argument("--request-timeout", type=float, default=10.0)
    parser.add_argument("--write-timeout", type=float, default=45.0, help="Give a write up after this long.")
    parser.add_argument("--max-attempts", type=int, default=200)
    parser.add_argument("--max-writes-per-client", type=int, default=100_000)
    parser.add_argument(
        "--py-spy", metavar="FILE", help="Record the workers with py-spy (raw stacks) to FILE."
    )
    parser.add_argument(
        "--experiment",
        default="",
        metavar="SPEC",
        help="Server-side experiment (see benchmarks/experiments/sitecustomize.py), e.g. switch=0.0005",
    )
    parser.add_argument(
        "--lockwatch", action="store_true", help="Time the audit-chain lock inside the server (PostgreSQL)."
    )
    parser.add_argument(
        "--wait-quiet", type=float, default=240, help="Wait up to this long for other work to stop."
    )
    parser.add_argument("--json", metavar="FILE", help="Also write the results as JSON to FILE.")
    parser.add_argument("--require-goal", action="store_true", help="Exit 1 when the goal is missed.")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 60:
        parser.error("--seconds must be in (0, 60]")
    if not 1 <= args.clients <= 99:
        parser.error("--clients must be 1 to 99")
    if args.resend_share is None:
        args.resend_share = 0.02 if args.fault else 0.0
    if args.kill_after is None:
        args.kill_after = args.seconds / 3
    return args


def wait_for_quiet_machine(limit: float) -> dict[str, Any]:
    """Wait (at most ``limit`` seconds) until other work uses less than 0.3 cores: other
    sessions may be running test suites on the same two cores."""
    started = time.monotonic()
    busy = 0.0
    for _ in range(max(1, int(limit / 2))):
        busy = psutil.cpu_percent(interval=2) / 100 * (os.cpu_count() or 1)
        if busy < 0.3:
            break
        log(f"the machine is busy with other work ({busy:.2f} cores); waiting for it to be quiet")
    waited = time.monotonic() - started
    return {"busy_cores": round(busy, 2), "waited_s": round(waited, 1), "quiet": busy < 0.3}


def start_py_spy(server: Server, path: str, seconds: float) -> subprocess.Popen[bytes] | None:
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        log("py-spy is not installed in the venv; not profiling")
        return None
    command = [
        str(spy),
        "record",
        "--pid",
        str(server.process.pid),
        "--subprocesses",  # type: ignore[union-attr]
        "--duration",
        str(int(seconds)),
        "--rate",
        "100",
        "--gil",  # only the thread holding the GIL: where the workers' Python CPU goes
        "--format",
        "raw",
        "--output",
        path,
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    label = f"{args.backend}, {args.workers} worker(s), {args.clients} clients"
    label += f", open loop at {args.rate:g} writes/s" if args.rate else ", closed loop"
    if args.backend == "postgresql" and args.durable:
        label += ", fsync on"
    if args.experiment:
        label += f", experiment {args.experiment}"
    if args.fault:
        label += ", FAULT RUN"
    log(f"study store load: {label}, {args.seconds:g} s of load")
    workdir = Path(tempfile.mkdtemp(prefix="remission-bench-"))
    workdir.chmod(0o755)  # PostgreSQL runs as the postgres user when we are root
    database = Database(args.backend, workdir, durable=args.durable)
    experiment = args.experiment
    if args.lockwatch:
        (workdir / "lockwatch").mkdir()
        experiment = ",".join(filter(None, [experiment, f"lockwatch={workdir / 'lockwatch'}"]))
    server = Server(database.url, free_port(), args.workers, workdir, experiment)
    spy = None
    try:
        log(f"database ready: {database.engine.url.render_as_string()} {database.settings}")
        prepare(database, args.users)
        startup = server.start()
        log(f"server up in {startup:.2f} s on port {server.port}, pids {server.pids()}")
        study = sign_in_all(server, args.clients, args.users, args.patients)
        log(f"{len(study.tokens)} clients signed in; {len(study.patient_ids)} patients")
        quiet = wait_for_quiet_machine(args.wait_quiet)
        sampler = Sampler(server, database)
        if args.py_spy:
            spy = start_py_spy(server, args.py_spy, args.seconds)
        sampler.start()
        stats, events = asyncio.run(drive(server, study, args, sampler))
        sample = sampler.stop()
        result = figures(stats, events, args)
        resources = summarise_resources(sample, sampler, result["acked_total"], database)
        waits = {}
        if sample.get("pg_samples"):
            waits = {
                label_: round(count / sample["pg_samples"], 2)
                for label_, count in sorted(sample["pg_waits"].items(), key=lambda item: -item[1])
            }
        if spy is not None:
            try:
                spy.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spy.terminate()
        lockwatch = summarise_lockwatch(workdir / "lockwatch", sampler.wall) if args.lockwatch else {}
        server.stop()
        log("checking the database")
        check = check_database(database, stats, study)
    finally:
        server.stop()
        database.close()

    goal_met = result["writes_per_s"] >= GOAL_WRITES_PER_S and result["p99_ms"] < GOAL_P99_MS
    report = {
        "label": label,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "code": code_version(),
        "args": {k: v for k, v in vars(args).items() if k not in ("json",)},
        "database": database.settings,
        "figures": result,
        "resources": resources,
        "quiet_before_load": quiet,
        "postgres_backends_by_state": waits,
        "lockwatch": lockwatch,
        "fault": {
            k: round(v, 2) if isinstance(v, float) and k.endswith("_s") else v
            for k, v in events.items()
            if k in ("downtime_s", "cancelled_tasks")
        },
        "check": check,
        "goal": {"writes_per_s": GOAL_WRITES_PER_S, "p99_ms": GOAL_P99_MS, "met": goal_met},
    }
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    ok = check["passed"] and result["abandoned"] == 0 and (goal_met or not args.require_goal)
    if check["passed"] and result["abandoned"] == 0:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        log(f"server logs and database files kept in {workdir}")
    return 0 if ok else 1


def print_report(report: dict[str, Any]) -> None:
    f, r, c = report["figures"], report["resources"], report["check"]
    print()
    print(f"== {report['label']} ({report['date']}) ==")
    print(f"machine: {report['machine']}")
    print(f"code: {report['code']}")
    print(f"database: {report['database']}")
    print(
        f"throughput {f['writes_per_s']} acknowledged writes/s over {f['window_s']} s "
        f"(after {report['args']['warmup']:g} s warm-up); write latency (due or first sent to "
        f"acknowledged) p50 {f['p50_ms']} ms, "
        f"p90 {f['p90_ms']} ms, p99 {f['p99_ms']} ms, max {f['max_ms']} ms"
    )
    if f["resends"]:
        print(f"acknowledged writes sent again with the same key: {f['resends']}")
    print(
        f"writes {f['writes_total']}, acknowledged {f['acked_total']} ({f['acked_by_replay']} by replay), "
        f"retried {f['retried_writes']}, abandoned {f['abandoned']}, refused {f['refused']}; "
        f"errors {f['errors']}: transport {f['transport_errors']} http {f['http_errors']}"
    )
    print(
        f"per HTTP attempt (acknowledged ones, without retries and waiting to send): "
        f"p50 {f['attempt_p50_ms']} ms, p99 {f['attempt_p99_ms']} ms, max {f['attempt_max_ms']} ms"
    )
    if report["args"]["fault"]:
        print(f"server down for {report['fault'].get('downtime_s')} s (SIGKILL to answering again)")
    print(
        f"server memory peak: RSS {r['server_rss_peak_mib']} MiB summed over its processes "
        f"(largest worker {r['worker_rss_peak_mib']} MiB), PSS {r['server_pss_peak_mib']} MiB; "
        f"PostgreSQL PSS peak {r['postgres_pss_peak_mib']} MiB"
    )
    names = ("server", "postgres", "client")
    per_write = ", ".join(f"{name} {r.get(f'cpu_ms_per_write_{name}', '-')} ms" for name in names)
    cores = ", ".join(f"{name} {r[f'cores_{name}']}" for name in (*names, "sampler"))
    print(
        f"CPU in cores over {r['wall_s']} s: {cores}; machine busy {r['cores_machine_busy']} of "
        f"{report['machine']['nproc']}, other work on the machine {r['cores_other_work']}; "
        f"CPU per acknowledged write: {per_write}"
    )
    q = report["quiet_before_load"]
    print(f"before the load: other work {q['busy_cores']} cores (waited {q['waited_s']} s for quiet)")
    if r["cores_other_work"] > 0.1:
        print(f"WARNING: other work used {r['cores_other_work']} cores during the run; figures are disturbed")
    if report["postgres_backends_by_state"]:
        states = ", ".join(f"{k}: {v}" for k, v in report["postgres_backends_by_state"].items())
        print(f"PostgreSQL backends of the app, mean number by state: {states}")
    if report["lockwatch"]:
        lw = report["lockwatch"]
        print(
            f"audit-chain lock over {lw['transactions']} transactions: "
            f"held {lw['held_share']:.0%} of the time; "
            f"wait p50 {lw['wait_p50_ms']} ms p99 {lw['wait_p99_ms']} ms; hold mean {lw['hold_mean_ms']} ms "
            f"(p50 {lw['hold_p50_ms']}, p99 {lw['hold_p99_ms']}): CPU of the holding thread "
            f"{lw['cpu_mean_ms']} ms + off CPU {lw['off_cpu_mean_ms']} ms "
            f"({lw['statements_mean']} statements "
            f"and COMMIT in PostgreSQL, and waiting for the GIL); of that, inside statements (incl. GIL "
            f"wait after each) {lw['db_mean_ms']} ms"
        )
        acked = report["figures"]["acked_total"]
        if acked and lw.get("server_totals"):
            per = ", ".join(f"{k} {v / acked:.1f}" for k, v in lw["server_totals"].items())
            print(f"database work per acknowledged write (set-up included, so slightly high): {per}")
    goal = report["goal"]
    print(
        f"goal >= {goal['writes_per_s']:g} writes/s with p99 < {goal['p99_ms']:g} ms: "
        + ("MET" if goal["met"] else "NOT MET")
    )
    print(
        f"database check: rows {c['rows']}, acknowledged {c['acked']}, missing {c['missing']}, "
        f"duplicated {c['duplicated']}, wrong id {c['wrong_id']}, unknown {c['unknown_rows']}, "
        f"unacknowledged but stored {c['unacked_but_stored']}, idempotency keys {c['idempotency_keys']}, "
        f"rows with their audit create entry {c['audited_rows']} (naming another row id: "
        f"{c['audit_entries_with_wrong_entity_id']}); {c['audit_verify']}"
    )

    verdict = "PASS" if c["passed"] and f["abandoned"] == 0 else "FAIL"
    extra = "" if not c["problems"] else " - " + "; ".join(c["problems"])
    if f["abandoned"]:
        extra += f" - {f['abandoned']} writes never acknowledged"
    print(f"{'FAULT RUN' if report['args']['fault'] else 'INTEGRITY'}: {verdict}{extra}")


if __name__ == "__main__":
    sys.exit(main())
