"""Whole-study exports at registry size (issue 13, item 5): wall time and peak memory of
``remission export`` in each format, at two study sizes, to show the writers stream.

The study is built by ``common.py``: ``--seed`` synthetic patients written through the
store, then copied at the SQL level into site SYN-A until the study holds each size of
``--patients`` (copies have no audit trail of their own). Each export runs as its own process,
``remission export --format F --out …`` exactly as a user runs it; its peak resident memory is the
kernel's ``ru_maxrss`` of that process (``os.wait4``), its time the wall time of the process,
start-up included. A writer that streams has about the same peak at both sizes; one that holds
the study grows with it.

    .venv/bin/python benchmarks/interop_bench.py --patients 1000 10000 --seed 300

Prints a Markdown table and writes JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from common import grown, log, print_table, save_figures, seeded_study  # noqa: E402

from remission.store import Actor  # noqa: E402

FORMATS = ("fhir", "odm", "dataset-json", "parquet")
#: Where each format writes: a directory of files, or one file.
TARGETS = {"fhir": "fhir", "odm": "study.xml", "dataset-json": "sdtm", "parquet": "endpoints.parquet"}
OPERATOR = Actor.for_system("interop benchmark")


def size_of(path: Path) -> tuple[int, int]:
    """Bytes and files written at ``path`` (a file or a directory)."""
    if path.is_file():
        return path.stat().st_size, 1
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def run_export(url: str, fmt: str, out: Path) -> dict[str, Any]:
    """One ``remission export`` process: wall time, peak RSS, what it wrote and said."""
    command = [str(REPO / ".venv" / "bin" / "remission"), "export", "--format", fmt, "--out", str(out)]
    command += ["--database", url, "--as-user", "interop-bench"]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    if process.returncode != 0:
        raise SystemExit(f"export --format {fmt} failed ({process.returncode}): {stderr.strip()}")
    written, files = size_of(out)
    return {
        "format": fmt,
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "bytes": written,
        "files": files,
        "said": stdout.strip(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=300, help="Patients written through the store.")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "benchmarks" / "results" / datetime.now(UTC).strftime("%Y-%m-%d") / "interop.json",
    )
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="remission-interop-"))
    url = f"sqlite:///{workdir / 'bench.sqlite'}"
    figures: list[dict[str, Any]] = []
    try:
        store = seeded_study(url, args.seed, OPERATOR)
        for size, held in grown(store, args.patients):
            for fmt in args.formats:
                out = workdir / f"{size}-{TARGETS[fmt]}"
                row = {"site_patients": held, **run_export(url, fmt, out)}
                log(json.dumps(row))
                figures.append(row)
                shutil.rmtree(out, ignore_errors=True) if out.is_dir() else out.unlink(missing_ok=True)
        store.engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    save_figures(args.out, figures)
    print_table(
        [
            ("patients at SYN-A", "---:"),
            ("format", "---"),
            ("wall s", "---:"),
            ("peak RSS MB", "---:"),
            ("MB written", "---:"),
            ("files", "---:"),
            ("the command said", "---"),
        ],
        (
            (
                r["site_patients"],
                r["format"],
                r["wall_s"],
                r["peak_rss_mb"],
                f"{r['bytes'] / 1e6:.1f}",
                r["files"],
                r["said"],
            )
            for r in figures
        ),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
