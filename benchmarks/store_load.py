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
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from store_bench.common import GOAL_P99_MS, GOAL_WRITES_PER_S, free_port, log
from store_bench.integrity import check_database
from store_bench.load import drive, figures, prepare, sign_in_all
from store_bench.processes import Database, Server
from store_bench.resources import (
    Sampler,
    code_version,
    machine,
    start_py_spy,
    summarise_lockwatch,
    summarise_resources,
    wait_for_quiet_machine,
)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


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
