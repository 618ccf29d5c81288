"""What the study benchmarks share: a synthetic study grown to each measured size, progress on
stderr, and the figures written as JSON and printed as a Markdown table.

The study is built in two steps: ``seed`` synthetic patients are written through the store (edit
checks, audit trail, calendar entries), then copied at the SQL level into one site until it holds
each measured size (:mod:`study_copies`).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from study_copies import copy_patients

from remission.demo import synthetic_cohort
from remission.demo.consent import register_consent_versions
from remission.demo.loading import load_synthetic
from remission.store import Actor, Store, make_engine, upgrade

#: The site the copies are made in.
SITE = "SYN-A"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def seeded_study(url: str, seed: int, operator: Actor) -> Store:
    """The study at ``url``, migrated, with ``seed`` synthetic patients written through the store."""
    store = Store(make_engine(url))
    upgrade(store.engine)
    start = time.perf_counter()
    register_consent_versions(store, operator)
    load_synthetic(store, synthetic_cohort(size=seed))
    log(f"{seed} patients written through the store in {time.perf_counter() - start:.0f} s")
    return store


def grown(store: Store, sizes: Iterable[int], site: str = SITE) -> Iterator[tuple[int, int]]:
    """``(size, patients the site holds)`` for each size, smallest first, after copying up to it."""
    for size in sorted(sizes):
        held = copy_patients(store, size, site)
        log(f"{site} holds {held} patients")
        yield size, held


def save_figures(out: Path, figures: list[dict[str, Any]]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


def print_table(columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[object]]) -> None:
    """A Markdown table on stdout: ``columns`` are (heading, alignment ``---`` or ``---:``)."""
    print("| " + " | ".join(heading for heading, _ in columns) + " |")
    print("|" + "|".join(alignment for _, alignment in columns) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")
