"""What a valid electronic signature costs a write (issue 12): the commit of a change to a patient whose
casebook is validly signed (the store recomputes the casebook's digest and marks the signature
invalidated, audited, and tells the signer) against the same change to an unsigned patient.

``--seed`` synthetic children are written through the store (SQLite, or a real PostgreSQL server);
the investigator of the first synthetic site signs the casebooks of half its enrolled children. Each
measured write records a missing-data code on one baseline field of a child, in its own transaction
(``set_missing_code`` and the commit); between writes, untimed, the code is cleared and the casebook
signed again, so every measured write meets a valid signature. p50/p95 over ``--writes`` writes of
each kind, after one warm-up write each.

    .venv/bin/python benchmarks/signature_bench.py --backend postgresql --seed 120 --writes 60

Prints a Markdown table and writes JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.postgres_server import PostgresServer  # noqa: E402

from remission.demo import SYNTHETIC_SITES, synthetic_cohort  # noqa: E402
from remission.demo.consent import register_consent_versions  # noqa: E402
from remission.demo.loading import load_synthetic  # noqa: E402
from remission.record.vocabulary import MissingCode  # noqa: E402
from remission.store import (  # noqa: E402
    BASELINE_FORM,
    Actor,
    Role,
    SignatureMeaning,
    SignedUnit,
    Store,
    UnitRef,
    actor_for_user,
    add_user,
    clear_missing_code,
    enrolled_protocol_ids,
    list_missing_codes,
    list_patients,
    list_signatures,
    make_engine,
    set_missing_code,
    sign_units,
    upgrade,
)

OPERATOR = Actor.for_system("signature benchmark")
COORDINATOR = Actor.for_system("benchmark coordinator")
PASSWORD = "plinth gravel mango sofa benchmark"
FIELD = "genetics.ph_like_class"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def setup(store: Store, seed: int) -> tuple[Actor, list[int]]:
    upgrade(store.engine)
    register_consent_versions(store, OPERATOR)
    load_synthetic(store, synthetic_cohort(size=seed))
    site = SYNTHETIC_SITES[0]
    with store.session(OPERATOR) as session:
        user = add_user(
            session, username="inv", full_name="Benchmark Investigator", password=PASSWORD,
            role=Role.INVESTIGATOR, site_code=site,
        )  # fmt: skip
        investigator = actor_for_user(session, user_id=user.id)
        enrolled = [
            p.id
            for p in list_patients(session, site_code=site, limit=None)
            if enrolled_protocol_ids(session, patient_id=p.id)
        ]
    assert investigator is not None
    return investigator, enrolled


def sign_casebook(store: Store, investigator: Actor, patient_id: int) -> None:
    with store.session(investigator) as session:
        sign_units(
            session,
            units=[UnitRef(patient_id, SignedUnit.CASEBOOK)],
            meaning=SignatureMeaning.APPROVAL,
            username=investigator.username,
            password=PASSWORD,
        )


def timed_write(store: Store, patient_id: int) -> float:
    start = time.perf_counter()
    with store.session(COORDINATOR, reason="benchmark") as session:
        set_missing_code(
            session, patient_id=patient_id, form=BASELINE_FORM, field=FIELD, code=MissingCode.NOT_DONE
        )
    return time.perf_counter() - start


def undo(store: Store, patient_id: int) -> None:
    with store.session(COORDINATOR, reason="benchmark: undo") as session:
        (code,) = list_missing_codes(session, patient_id=patient_id)
        clear_missing_code(session, code_id=code.id, version=code.version, patient_id=patient_id)


def measure(store: Store, investigator: Actor, patients: list[int], writes: int, signed: bool) -> list[float]:
    times = []
    for i in range(writes + 1):
        patient_id = patients[i % len(patients)]
        if signed:
            sign_casebook(store, investigator, patient_id)
        took = timed_write(store, patient_id)
        undo(store, patient_id)
        if i:  # the first is a warm-up
            times.append(took)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=120, help="Synthetic children written through the store.")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--writes", type=int, default=60)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "signatures.json")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="remission-signatures-"))
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
    try:
        store = Store(make_engine(url))
        investigator, enrolled = setup(store, args.seed)
        half = len(enrolled) // 2
        signed_patients, unsigned_patients = enrolled[:half], enrolled[half:]
        log(f"{len(enrolled)} enrolled children at {SYNTHETIC_SITES[0]}; measuring {args.writes} writes each")
        unsigned = measure(store, investigator, unsigned_patients, args.writes, signed=False)
        signed = measure(store, investigator, signed_patients, args.writes, signed=True)
        with store.session(OPERATOR) as session:
            invalidated = sum(
                1 for pid in signed_patients for s in list_signatures(session, patient_id=pid) if not s.valid
            )
        store.engine.dispose()
    finally:
        if server is not None:
            server.stop()
    ms = lambda values, q: round(1000 * percentile(values, q), 1)  # noqa: E731
    figures: dict[str, Any] = {
        "backend": args.backend,
        "children": len(enrolled),
        "writes": args.writes,
        "unsigned_p50_ms": ms(unsigned, 50),
        "unsigned_p95_ms": ms(unsigned, 95),
        "signed_p50_ms": ms(signed, 50),
        "signed_p95_ms": ms(signed, 95),
        "added_p50_ms": round(1000 * (statistics.median(signed) - statistics.median(unsigned)), 1),
        "signatures_invalidated": invalidated,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print("| backend | write, unsigned casebook p50 / p95 ms | signed casebook p50 / p95 ms | added p50 ms |")
    print("|---|---:|---:|---:|")
    f = figures
    print(
        f"| {f['backend']} | {f['unsigned_p50_ms']} / {f['unsigned_p95_ms']} | "
        f"{f['signed_p50_ms']} / {f['signed_p95_ms']} | {f['added_p50_ms']} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
