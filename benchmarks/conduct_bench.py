"""Trial conduct at registry size (issue 11): the site worklist, ``checks run`` and the edit checks' cost
per write, on a real PostgreSQL server (or SQLite).

The study is built in two steps: ``--seed`` synthetic patients are written through the store (edit
checks, audit trail, calendar entries), then copied at the SQL level into one site until it holds
each size of ``--patients`` (copies get new ids and study ids; the audit trail does not cover them,
which no measured path reads). Every figure is timed in process, after one warm-up call:

- the worklist of the site on today's date as the API answers it by default (``site_worklist`` with
  ``limit=500``, lines serialised to dicts), p50/p95 of ``--repeat`` calls; every line once; and the
  one-time computation of every calendar's entries;
- ``checks run`` over the whole study (``run_checks_and_queries``, queries not opened), one call;
- per write of an MRD result, the time the edit checks add (``check_written_row`` before the write
  and ``follow_up_write`` after it), p50/p95 of ``--writes`` writes, and the calendar upkeep.

    .venv/bin/python benchmarks/conduct_bench.py --patients 1000 10000 --seed 500

Prints a Markdown table and writes JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from common import SITE, grown, log, print_table, save_figures, seeded_study  # noqa: E402
from tests.support.postgres_server import PostgresServer  # noqa: E402

from remission.record.vocabulary import MRDMethod, MRDTimePoint  # noqa: E402
from remission.store import (  # noqa: E402
    Actor,
    MRDMeasurement,
    Store,
    refresh_stale,
    run_checks_and_queries,
    site_worklist,
)
from remission.store.calendar_upkeep import refresh_calendars  # noqa: E402
from remission.store.check_queries import follow_up_write  # noqa: E402
from remission.store.edit_checks import check_written_row  # noqa: E402
from remission.store.models import Patient, Site, TreatmentPhaseRecord  # noqa: E402

#: Lines in one worklist answer: the API's default ``limit`` and the web page's length.
PAGE = 500
OPERATOR = Actor.for_system("conduct benchmark")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def timed(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def worklist_figures(store: Store, repeat: int) -> dict[str, Any]:
    today = date.today()
    with store.session(OPERATOR) as session:
        site = session.scalar(select(Site.id).where(Site.code == SITE))
        start = time.perf_counter()
        refreshed = refresh_stale(session, site_id=site)
        build = time.perf_counter() - start
    samples = []
    for attempt in range(repeat + 1):
        with store.session(OPERATOR) as session:
            start = time.perf_counter()
            page = [
                line.to_dict() for line in site_worklist(session, site_code=SITE, as_of=today, limit=PAGE)
            ]
            elapsed = time.perf_counter() - start
        if attempt:  # the first call warms the caches
            samples.append(elapsed)
    with store.session(OPERATOR) as session:
        start = time.perf_counter()
        every = [line.to_dict() for line in site_worklist(session, site_code=SITE, as_of=today)]
        whole = time.perf_counter() - start
    return {
        "calendars_computed": refreshed,
        "entries_build_s": round(build, 2),
        "worklist_lines": len(every),
        "worklist_page_lines": len(page),
        "worklist_p50_ms": round(1000 * statistics.median(samples), 1),
        "worklist_p95_ms": round(1000 * percentile(samples, 95), 1),
        "worklist_all_lines_ms": round(1000 * whole, 1),
    }


def checks_figures(store: Store) -> dict[str, Any]:
    with store.session(OPERATOR) as session:
        start = time.perf_counter()
        outcome = run_checks_and_queries(session, as_of=date.today(), open_queries=False)
        elapsed = time.perf_counter() - start
        session.rollback()
    return {
        "checks_run_s": round(elapsed, 2),
        "checks_rows": outcome.run.rows,
        "checks_findings": len(outcome.run.findings),
    }


def write_figures(store: Store, writes: int) -> dict[str, Any]:
    """The edit checks' share of an MRD write that passes them (sampled at the end of induction, with
    a sensitivity), and the calendar upkeep's."""
    with store.session(OPERATOR) as session:
        ends = dict(
            session.execute(
                select(TreatmentPhaseRecord.patient_id, TreatmentPhaseRecord.actual_end)
                .join(Site, Site.id == TreatmentPhaseRecord.site_id)
                .where(
                    Site.code == SITE,
                    TreatmentPhaseRecord.phase_id == "induction",
                    TreatmentPhaseRecord.actual_end.is_not(None),
                )
                .limit(writes)
            ).all()
        )
        patients = session.scalars(select(Patient).where(Patient.id.in_(ends))).all()
        checks, upkeep = [], []
        for patient in patients:
            row = MRDMeasurement(
                patient_id=patient.id,
                site_id=patient.site_id,
                time_point=MRDTimePoint.END_OF_INDUCTION,
                method=MRDMethod.FLOW_CYTOMETRY,
                sample_date=ends[patient.id],
                value_fraction=0.001,
                sensitivity_fraction=1e-4,
            )
            start = time.perf_counter()
            results = check_written_row(session, row=row, patient=patient)
            before = time.perf_counter() - start
            session.add(row)
            session.flush()
            start = time.perf_counter()
            follow_up_write(session, row=row, results=results, created=True)
            checks.append(before + time.perf_counter() - start)
            upkeep.append(timed(lambda patient=patient: refresh_calendars(session, patient_ids=[patient.id])))
        session.rollback()
    return {
        "writes": len(checks),
        "edit_checks_p50_ms": round(1000 * statistics.median(checks), 2),
        "edit_checks_p95_ms": round(1000 * percentile(checks, 95), 2),
        "calendar_upkeep_p50_ms": round(1000 * statistics.median(upkeep), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=500, help="Patients written through the store.")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "conduct.json")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="remission-conduct-"))
    workdir.chmod(0o755)
    server = None
    if args.backend == "postgresql":
        server = PostgresServer.start(workdir / "pg")
        admin = create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE bench"))
        admin.dispose()
        url = server.url("bench")
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite'}"
    figures: list[dict[str, Any]] = []
    try:
        store = seeded_study(url, args.seed, OPERATOR)
        for _, held in grown(store, args.patients, SITE):
            row: dict[str, Any] = {"patients": held, "backend": args.backend}
            row |= worklist_figures(store, args.repeat)
            row |= checks_figures(store)
            row |= write_figures(store, args.writes)
            log(json.dumps(row))
            figures.append(row)
        store.engine.dispose()
    finally:
        if server is not None:
            server.stop()
    save_figures(args.out, figures)
    print_table(
        [
            ("patients at the site", "---:"),
            ("lines owed", "---:"),
            ("worklist (500 lines) p50 ms", "---:"),
            ("p95 ms", "---:"),
            ("all lines ms", "---:"),
            ("entries built once (s)", "---:"),
            ("checks run (s)", "---:"),
            ("rows checked", "---:"),
            ("edit checks per write p50 / p95 ms", "---:"),
            ("calendar upkeep per write p50 ms", "---:"),
        ],
        (
            (
                r["patients"],
                r["worklist_lines"],
                r["worklist_p50_ms"],
                r["worklist_p95_ms"],
                r["worklist_all_lines_ms"],
                r["entries_build_s"],
                r["checks_run_s"],
                r["checks_rows"],
                f"{r['edit_checks_p50_ms']} / {r['edit_checks_p95_ms']}",
                r["calendar_upkeep_p50_ms"],
            )
            for r in figures
        ),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
