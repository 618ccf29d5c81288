"""Print a Markdown table of ``store_load.py --json`` reports, one row per report.

.venv/bin/python benchmarks/results_table.py RESULT.json [RESULT.json ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def row(name: str, report: dict) -> str:
    args, f, r, c = report["args"], report["figures"], report["resources"], report["check"]
    load = f"open, {args['rate']:g}/s offered" if args.get("rate") else "closed"
    backend = args["backend"]
    if backend == "postgresql":
        backend += ", fsync on" if report["database"].get("fsync") == "on" else ", fsync off"
    if args.get("experiment"):
        backend += f", `{args['experiment']}`"
    if args.get("lockwatch"):
        backend += ", lock timed"
    if args.get("py_spy"):
        backend += ", py-spy"
    if args.get("fault"):
        backend += ", **SIGKILL mid-load**"
    rss = f"{r['server_rss_peak_mib']:.0f} ({r['worker_rss_peak_mib']:.0f})"
    verdict = "PASS" if c["passed"] and f["abandoned"] == 0 else "FAIL"
    return (
        f"| {name} | {args['clients']} | {args['workers']} | {backend} | {load} | {f['writes_per_s']:.1f} "
        f"| {f['p50_ms']:.1f} | {f['p99_ms']:.1f} | {f['max_ms']:.1f} | {f['errors']} "
        f"| {rss} | {r['cores_server']:.2f} / {r['cores_postgres']:.2f} / {r['cores_client']:.2f} "
        f"| {r['cores_other_work']:.2f} | {verdict} |"
    )


def main() -> None:
    print(
        "| run | clients | workers | backend | load | writes/s | p50 ms | p99 ms | max ms | errors "
        "| server RSS MiB (largest worker) | cores server / PG / client | other work (cores) | check |"
    )
    print("|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---|---:|---|")
    for path in map(Path, sys.argv[1:]):
        print(row(path.stem.split("-")[0], json.loads(path.read_text())))


if __name__ == "__main__":
    main()
