"""Summarise a py-spy ``--format raw`` profile of the API server by where the CPU goes.

``store_load.py --py-spy FILE`` records the server's workers (on-CPU samples only). This
groups the samples of the worker processes into the parts of a write request, as shares
of all samples and, given the server CPU per write that ``store_load.py`` printed, as
milliseconds of CPU per write::

    .venv/bin/python benchmarks/profile_summary.py FILE[.gz] [--cpu-ms-per-write 6.4] [--top 25]

Each sample goes to exactly one category (see ``TIERS``), so the categories add up to 100 %.
"""

from __future__ import annotations

import argparse
import gzip
from collections import Counter
from pathlib import Path

#: Tiers of (category, substrings of a frame). A sample goes to the first tier with a
#: matching frame, and within that tier to the category of the matching frame nearest the
#: leaf: so the store's own functions win over the framework frames around them, and the
#: framework over the bare event loop and threads.
TIERS: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...] = (
    (
        ("argon2 (sign-in; should be absent)", ("argon2",)),
        ("new database connections (pool churn)", ("_connect_gen", "__connect")),
        ("pool_pre_ping round trip", ("_do_ping", "do_ping")),
        ("token check: JWT decode", ("user_id_from_token",)),
        ("token check: own session, user and role queries", ("current_actor",)),
        ("audit: chain lock, entries, hashes (audit_flush)", ("audit_flush", "append_changes")),
        ("write checks (before_flush check_writes)", ("check_writes",)),
        ("re-stratification query (MRD)", ("restratify",)),
        ("idempotency key lookup", ("_stored (remission",)),
        ("reading the patient (get_patient)", ("get_patient",)),
        ("response model + jsonable_encoder", ("model_validate", "jsonable_encoder")),
        ("commit", ("Session.commit", "SessionTransaction.commit")),
        ("ORM flush: INSERT of the row and the key", ("Session.flush", "Session._flush")),
        ("rest of run_post / create_row", ("run_post", "create_row")),
    ),
    (
        (
            "FastAPI: request body, validation, dependencies",
            (
                "solve_dependencies",
                "request_body_to_args",
                "Request.json",
                "Request.body",
                "_validate",
            ),
        ),
        ("FastAPI/Starlette: response", ("serialize_response", "JSONResponse", "render")),
        ("thread hand-off (anyio worker threads)", ("anyio", "run_in_threadpool")),
        ("uvicorn + h11: HTTP parsing and writing", ("h11/", "h11_impl", "httptools")),
        (
            "FastAPI/Starlette: routing, middleware (incl. the NUL guard), telemetry",
            ("starlette/", "fastapi/", "remission/api/guards"),
        ),
    ),
    (
        ("asyncio event loop, sockets", ("asyncio/", "selectors")),
        ("threads", ("threading.py",)),
    ),
)


def categorise(frames: list[str]) -> str:
    for tier in TIERS:
        for frame in reversed(frames):
            for name, patterns in tier:
                if any(pattern in frame for pattern in patterns):
                    return name
    return "other"


def is_worker(stack: list[str]) -> bool:
    """Samples of the processes that serve requests (not uvicorn's supervisor)."""
    return any("spawn_main" in frame or "Server.run (uvicorn" in frame for frame in stack) or not any(
        "supervisors/multiprocess" in frame for frame in stack
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("--cpu-ms-per-write", type=float, default=None)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    categories: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    raw = gzip.decompress(args.raw.read_bytes()) if args.raw.suffix == ".gz" else args.raw.read_bytes()
    for line in raw.decode("utf-8", "replace").splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        frames = [frame for frame in stack_text.split(";") if not frame.startswith("process ")]
        if not frames or not is_worker(frames):
            continue
        count = int(count_text)
        total += count
        leaves[frames[-1]] += count
        categories[categorise(frames)] += count
    if not total:
        raise SystemExit("no samples of the worker processes")
    print(f"{total} on-CPU samples of the worker processes")
    scale = args.cpu_ms_per_write
    for name, count in categories.most_common():
        share = count / total
        ms = f"  {share * scale:5.2f} ms/write" if scale else ""
        print(f"{share:6.1%}{ms}  {name}")
    print(f"\ntop {args.top} leaf frames (self time):")
    for frame, count in leaves.most_common(args.top):
        print(f"{count / total:6.1%}  {frame}")


if __name__ == "__main__":
    main()
