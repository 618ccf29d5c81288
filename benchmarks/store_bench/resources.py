"""Measuring the machine and the server: CPU, memory, lock timing, profiles."""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import create_engine, text

from store_bench.common import REPO, log, percentile
from store_bench.processes import Database, Server, _tree


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
