"""Saved searches: a child's trial search kept under a name and re-run when trials change.

A saved search holds a copy of the record (or, with ``link``, the path of the record file, read
again at every run), an optional location, an optional subscriber (a username of the study
store, told of newly matching trials by the command line, which wires the store in), and the
outcome of its last run per trial. Running it again reports what is new: trials that match and
were not seen before, and trials whose verdict changed. The new outcome becomes the baseline for
the next run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from remission.errors import FieldProblem, InputError
from remission.protocols.results import Verdict
from remission.record.model import PatientRecord
from remission.trials.geo import Point
from remission.trials.matching import match_trials
from remission.trials.records import read_record_file, record_from_data
from remission.trials.registry import Registry, write_json_atomically
from remission.trials.results import MatchReport, TrialMatch

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_FORMAT = "remission-saved-search-1"
_MAX_SUBSCRIBER = 200


@dataclass(frozen=True, slots=True)
class VerdictChange:
    """A trial whose verdict (or, in ``recruitment_changed``, status) differs from the last run."""

    trial_id: str
    before: str
    after: str

    def to_dict(self) -> dict[str, str]:
        return {"trial": self.trial_id, "before": self.before, "after": self.after}


@dataclass(frozen=True, slots=True)
class WhatsNew:
    """One saved search run: newly matching trials, changed verdicts, and the full ranked report."""

    search: str
    report: MatchReport
    newly_matching: tuple[TrialMatch, ...]
    changed: tuple[VerdictChange, ...]
    first_run: bool
    recruitment_changed: tuple[VerdictChange, ...] = ()
    #: The username the search tells of newly matching trials, and the day it was saved.
    subscriber: str | None = None
    saved_on: str | None = None

    @property
    def anything_new(self) -> bool:
        return bool(self.newly_matching or self.changed or self.recruitment_changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "search": self.search,
            "study_id": self.report.study_id,
            "run_on": self.report.matched_on.isoformat(),
            "first_run": self.first_run,
            "subscriber": self.subscriber,
            "newly_matching": [
                {"trial": m.trial.id, "acronym": m.trial.acronym, "verdict": m.verdict.value}
                for m in self.newly_matching
            ],
            "changed_verdicts": [change.to_dict() for change in self.changed],
            "changed_recruitment": [change.to_dict() for change in self.recruitment_changed],
            "report": self.report.to_dict(),
        }


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        message = (
            "a search name is letters, digits, '.', '_' or '-' (at most 64), starting with a letter or digit"
        )
        raise InputError("--name", [FieldProblem(name, message)])


def _path(registry: Registry, name: str) -> Path:
    return registry.searches_dir / f"{name}.json"


def _load(registry: Registry, name: str) -> dict[str, Any]:
    _check_name(name)
    path = _path(registry, name)
    if not path.exists():
        known = ", ".join(search_names(registry)) or "(none saved)"
        raise InputError("search", [FieldProblem(name, f"no saved search of this name; saved: {known}")])
    try:
        stored = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(str(path), [FieldProblem("(file)", f"unreadable saved search: {error}")]) from None
    if not isinstance(stored, dict) or stored.get("format") != _FORMAT:
        raise InputError(str(path), [FieldProblem("format", f"not a {_FORMAT} file")])
    return stored


def _record_of(stored: dict[str, Any], *, today: date) -> PatientRecord:
    if stored.get("record_path"):
        record, _ = read_record_file(Path(stored["record_path"]), today=today)
        return record
    return record_from_data(stored["record"], today=today, source=f"saved search {stored['name']}")


def _outcomes(report: MatchReport) -> dict[str, dict[str, Any]]:
    return {
        m.trial.id: {
            "verdict": m.verdict.value,
            "status": _status(m),
            "trial_version": m.trial.version,
            "criteria_version": m.trial.protocol.version,
            "failing": [c.id for c in m.failing],
            "unknowns": [c.id for c in m.unknowns],
        }
        for m in report.matches
    }


#: Called with a run's outcome before it becomes the baseline (the command line tells the subscriber).
NewsHook = Callable[[WhatsNew], None]


def _run(
    registry: Registry, stored: dict[str, Any], *, as_of: date, today: date, before_saving: NewsHook | None
) -> WhatsNew:
    record = _record_of(stored, today=today)
    near = Point(*stored["near"]) if stored.get("near") else None
    report = match_trials(record, registry.trials(), as_of=as_of, near=near)
    before: dict[str, dict[str, Any]] = stored.get("last_run", {}).get("trials", {})
    first_run = "last_run" not in stored
    newly = tuple(
        m for m in report.matches if m.trial.id not in before and m.verdict is not Verdict.NOT_ELIGIBLE
    )
    changed = tuple(
        VerdictChange(m.trial.id, before[m.trial.id]["verdict"], m.verdict.value)
        for m in report.matches
        if m.trial.id in before and before[m.trial.id]["verdict"] != m.verdict.value
    )
    # A trial that closes (or opens) matters only while the child may still join it.
    recruitment = tuple(
        VerdictChange(m.trial.id, str(before[m.trial.id].get("status")), str(_status(m)))
        for m in report.matches
        if m.trial.id in before
        and m.verdict is not Verdict.NOT_ELIGIBLE
        and before[m.trial.id].get("status") != _status(m)
    )
    news = WhatsNew(
        stored["name"],
        report,
        newly,
        changed,
        first_run,
        recruitment,
        subscriber=stored.get("subscriber"),
        saved_on=stored.get("saved_on"),
    )
    # Before the baseline moves: a hook that fails leaves the news to be found again by the next run.
    if before_saving is not None:
        before_saving(news)
    stored = {**stored, "last_run": {"on": as_of.isoformat(), "trials": _outcomes(report)}}
    write_json_atomically(_path(registry, stored["name"]), stored)
    return news


def _status(match: TrialMatch) -> str | None:
    return match.trial.status.overall.value if match.trial.status else None


def _check_subscriber(subscriber: str | None) -> str | None:
    if subscriber is None:
        return None
    cleaned = subscriber.strip()
    if not cleaned or len(cleaned) > _MAX_SUBSCRIBER or not cleaned.isprintable():
        problem = f"a username of the study store (1 to {_MAX_SUBSCRIBER} printable characters)"
        raise InputError("--subscriber", [FieldProblem(repr(subscriber), problem)])
    return cleaned


def save_search(
    registry: Registry,
    name: str,
    *,
    record_path: Path,
    link: bool,
    near: Point | None,
    as_of: date,
    today: date,
    replace: bool = False,
    subscriber: str | None = None,
) -> WhatsNew:
    """Save a child's search under ``name`` and run it once to set the baseline.

    ``link`` keeps the record file's path (read again at every run) instead of a copy of the
    record. ``subscriber`` is the username to tell of trials that newly match later runs (the
    caller checks it against the study's accounts). Raises :class:`InputError` if the name is
    taken and ``replace`` is false.
    """
    _check_name(name)
    subscriber = _check_subscriber(subscriber)
    if _path(registry, name).exists() and not replace:
        raise InputError("--name", [FieldProblem(name, "a saved search has this name; use --replace")])
    _, data = read_record_file(record_path, today=today)
    stored: dict[str, Any] = {
        "format": _FORMAT,
        "name": name,
        "saved_on": today.isoformat(),
        "record_path": str(record_path.resolve()) if link else None,
        "record": None if link else data,
        "near": [near.lat, near.lon] if near else None,
        "subscriber": subscriber,
    }
    return _run(registry, stored, as_of=as_of, today=today, before_saving=None)


def run_search(
    registry: Registry, name: str, *, as_of: date, today: date, before_saving: NewsHook | None = None
) -> WhatsNew:
    """Run a saved search again and report what is new since its last run.

    ``before_saving`` is called with the outcome before it becomes the baseline; if it raises,
    the baseline stays as it was, so the next run finds the same news again.
    """
    return _run(registry, _load(registry, name), as_of=as_of, today=today, before_saving=before_saving)


def search_names(registry: Registry) -> list[str]:
    """Names of the saved searches, sorted."""
    if not registry.searches_dir.is_dir():
        return []
    return sorted(path.stem for path in registry.searches_dir.glob("*.json") if _NAME.match(path.stem))


def run_all_searches(
    registry: Registry, *, as_of: date, today: date, before_saving: NewsHook | None = None
) -> list[WhatsNew]:
    """Run every saved search (after an import); each reports what is new for its patient
    (``before_saving`` as for :func:`run_search`)."""
    return [
        run_search(registry, name, as_of=as_of, today=today, before_saving=before_saving)
        for name in search_names(registry)
    ]


def search_summary(registry: Registry, name: str) -> dict[str, Any]:
    """What a saved search holds, without running it."""
    stored = _load(registry, name)
    record = stored.get("record") or {}
    return {
        "name": name,
        "saved_on": stored.get("saved_on"),
        "study_id": (record.get("patient") or {}).get("study_id") if isinstance(record, dict) else None,
        "record_path": stored.get("record_path"),
        "near": stored.get("near"),
        "subscriber": stored.get("subscriber"),
        "last_run": (stored.get("last_run") or {}).get("on"),
    }


def delete_search(registry: Registry, name: str) -> None:
    """Remove a saved search."""
    _load(registry, name)
    _path(registry, name).unlink()
