"""The trial registry: a folder of imported registry records, local curated files and saved searches.

Layout of the folder (``--registry DIR``, or ``$REMISSION_TRIALS_REGISTRY``, or
``$XDG_DATA_HOME/remission/trials``, or ``~/.local/share/remission/trials``)::

    studies/NCT01234567.json   an imported API v2 study, as imported, with when and from where
    curated/NCT01234567.yaml   a local curated trial file (replaces a shipped one of the same id)
    searches/NAME.json         a saved search (see :mod:`remission.trials.searches`)

The shipped curated trials are always part of the registry. Imports are all-or-nothing: every
file is read and checked before anything is written.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from remission.errors import FieldProblem
from remission.trials.ctgov_read import StudyInFile, TrialFileError, read_study_file, study_problems
from remission.trials.ctgov_trial import study_to_trial
from remission.trials.curated import (
    load_curated_file,
    load_shipped_trial,
    local_curated_files,
    shipped_trial_ids,
)
from remission.trials.merge import merge_trial
from remission.trials.model import Trial

ENV_VARIABLE = "REMISSION_TRIALS_REGISTRY"
_STORED_FORMAT = "remission-ctgov-import-1"


def default_registry_path() -> Path:
    """The registry folder when ``--registry`` is not given.

    ``$REMISSION_TRIALS_REGISTRY``, else ``$XDG_DATA_HOME/remission/trials``, else
    ``~/.local/share/remission/trials``.
    """
    if os.environ.get(ENV_VARIABLE):
        return Path(os.environ[ENV_VARIABLE])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "remission" / "trials"


def write_json_atomically(path: Path, payload: Any) -> None:
    """Write JSON so that readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(payload, stream, indent=2, ensure_ascii=False, sort_keys=True)
            stream.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What importing did for one study."""

    nct_id: str
    change: Literal["new", "updated", "unchanged"]
    source: str

    def to_dict(self) -> dict[str, str]:
        return {"nct_id": self.nct_id, "change": self.change, "source": self.source}


def _is_iso_date(value: object) -> bool:
    """Whether ``value`` is a date written ``YYYY-MM-DD``."""
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _canonical(study: dict[str, Any]) -> str:
    return json.dumps(study, sort_keys=True, ensure_ascii=False)


class Registry:
    """A registry folder. Reading never creates it; importing or saving a search does."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.studies_dir = root / "studies"
        self.curated_dir = root / "curated"
        self.searches_dir = root / "searches"

    def _stored(self, path: Path) -> dict[str, Any]:
        try:
            stored = json.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise TrialFileError(
                str(path), [FieldProblem("(file)", f"unreadable stored study: {error}")]
            ) from None
        if not isinstance(stored, dict) or stored.get("format") != _STORED_FORMAT or "study" not in stored:
            raise TrialFileError(str(path), [FieldProblem("format", f"not a {_STORED_FORMAT} file")])
        problems = study_problems(stored["study"])
        if not _is_iso_date(stored.get("imported_on")):
            problems.append(FieldProblem("imported_on", "not a date in YYYY-MM-DD form"))
        if problems:  # a stored file edited by hand is refused like an imported one
            raise TrialFileError(str(path), [FieldProblem(f"study.{p.field}", p.problem) for p in problems])
        return stored

    def _study_path(self, nct_id: str) -> Path:
        return self.studies_dir / f"{nct_id}.json"

    def import_files(self, paths: Iterable[Path], *, imported_on: date) -> list[ImportOutcome]:
        """Import API v2 study files; raise :class:`TrialFileError` and write nothing on any problem."""
        found: dict[str, StudyInFile] = {}
        for path in paths:
            for study in read_study_file(path):
                earlier = found.get(study.nct_id)
                if earlier is not None and _canonical(earlier.study) != _canonical(study.study):
                    message = (
                        f"{study.nct_id} is given twice with different content (also in {earlier.source})"
                    )
                    raise TrialFileError(study.source, [FieldProblem(study.nct_id, message)])
                # Build the trial now, so that a study whose criteria cannot load stops the import.
                study_to_trial(study.study, imported_on=imported_on, source_file=study.source)
                found[study.nct_id] = study
        if not found:
            raise TrialFileError("FILE", [FieldProblem("(arguments)", "no trial files given")])
        outcomes: list[tuple[ImportOutcome, StudyInFile]] = []
        for nct_id, study in sorted(found.items()):
            path = self._study_path(nct_id)
            change: Literal["new", "updated", "unchanged"] = "new"
            if path.exists():
                same = _canonical(self._stored(path)["study"]) == _canonical(study.study)
                change = "unchanged" if same else "updated"
            outcomes.append((ImportOutcome(nct_id, change, study.source), study))
        for outcome, study in outcomes:
            if outcome.change != "unchanged":
                payload = {
                    "format": _STORED_FORMAT,
                    "imported_on": imported_on.isoformat(),
                    "source_file": study.source,
                    "study": study.study,
                }
                write_json_atomically(self._study_path(outcome.nct_id), payload)
        return [outcome for outcome, _ in outcomes]

    def imported_trials(self) -> dict[str, Trial]:
        """The imported trials by NCT id, as their stored registry records say."""
        trials = {}
        if self.studies_dir.is_dir():
            for path in sorted(self.studies_dir.glob("NCT*.json")):
                stored = self._stored(path)
                imported_on = date.fromisoformat(stored["imported_on"])
                trial = study_to_trial(
                    stored["study"], imported_on=imported_on, source_file=stored["source_file"]
                )
                trials[trial.id] = trial
        return trials

    def curated_trials(self) -> dict[str, Trial]:
        """Shipped curated trials, with local curated files of the same id taking their place."""
        trials = {trial_id: load_shipped_trial(trial_id) for trial_id in shipped_trial_ids()}
        for path in local_curated_files(self.curated_dir):
            local = load_curated_file(path)
            trials[local.id] = _with_origin(local, "curated (local)")
        return trials

    def trials(self) -> list[Trial]:
        """Every trial of the registry, curated ones merged with their imported records, by id."""
        curated = self.curated_trials()
        imported = self.imported_trials()
        merged = {**imported}
        for trial_id, trial in curated.items():
            merged[trial_id] = merge_trial(trial, imported[trial_id]) if trial_id in imported else trial
        return [merged[trial_id] for trial_id in sorted(merged)]

    def trial(self, trial_id: str) -> Trial:
        """One trial by NCT id; raise :class:`TrialFileError` listing the known ids if absent."""
        for trial in self.trials():
            if trial.id == trial_id:
                return trial
        known = ", ".join(t.id for t in self.trials())
        raise TrialFileError("TRIAL", [FieldProblem(trial_id, f"not in the registry; known: {known}")])


def _with_origin(trial: Trial, origin: str) -> Trial:
    return dataclasses.replace(trial, origin=origin)
