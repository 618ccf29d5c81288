"""After the load: every acknowledged write stored exactly once, and the audit chain intact."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from typing import Any

from sqlalchemy import text

from store_bench.common import MARKER_SCALE, REMISSION
from store_bench.load import Stats, Study
from store_bench.processes import Database


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
