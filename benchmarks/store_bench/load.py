"""The load: signing in, generating writes, driving concurrent clients, figures."""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from store_bench.common import (
    API,
    ATTRIBUTIONS,
    MARKER_SCALE,
    MRD_METHODS,
    MRD_TIME_POINTS,
    PASSWORD,
    SITE,
    log,
    percentile,
    run_cli,
)
from store_bench.processes import Database, Server
from store_bench.resources import Sampler


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
