"""Loading curated trial files through :mod:`remission.datafiles`, then building the trial.

Curated files live in ``trials/data/<NCT>.yaml`` (shipped) and in a registry's ``curated/``
folder (local). The cross-checks are those of protocol files (sources, parameters, expressions
against the record model) plus the trial's own: every source id exists, biomarker genes are known
symbols and fusions are written ``GENE1::GENE2``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from remission.datafiles import DataFileKind
from remission.errors import FieldProblem, problems_from_validation
from remission.protocols.consistency import protocol_problems
from remission.protocols.loader import ProtocolError, load_protocol
from remission.protocols.model import Protocol
from remission.trials.ctgov_read import TrialFileError
from remission.trials.genes import fusion_problem, symbol_problem
from remission.trials.model import CuratedTrial, Trial

_DATA = resources.files("remission.trials") / "data"
_TRIAL_FILE = re.compile(r"^NCT[0-9]{8}\.yaml$")


def generate_trial_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a curated trial file, generated from the models."""
    schema = CuratedTrial.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://remission.dev/schemas/trial-v1.json"
    return schema


@cache
def trial_json_schema() -> dict[str, Any]:
    """The JSON Schema every curated trial file must satisfy (shipped as ``trial.schema.json``)."""
    text = (resources.files("remission.trials") / "trial.schema.json").read_text("utf-8")
    return cast(dict[str, Any], json.loads(text))


def _source_problems(curated: CuratedTrial) -> Iterator[FieldProblem]:
    known = {source.id for source in curated.provenance.sources}
    cited: list[tuple[str, str | None]] = [
        ("status.source", curated.status.source if curated.status else None),
        ("verbatim_registry_source", curated.verbatim_registry_source),
        (
            "registered_eligibility.source",
            curated.registered_eligibility.source if curated.registered_eligibility else None,
        ),
    ]
    cited += [(f"biomarkers[{i}].source", b.source) for i, b in enumerate(curated.biomarkers)]
    cited += [(f"sites[{i}].source", s.source) for i, s in enumerate(curated.sites)]
    cited += [(f"not_eligibility[{i}].source", n.source) for i, n in enumerate(curated.not_eligibility)]
    for where, source in cited:
        if source is not None and source not in known:
            yield FieldProblem(where, f"unknown source {source!r}")


def _biomarker_problems(curated: CuratedTrial) -> Iterator[FieldProblem]:
    for value, count in Counter(b.id for b in curated.biomarkers).items():
        if count > 1:
            yield FieldProblem("biomarkers", f"id {value!r} is used {count} times")
    for i, biomarker in enumerate(curated.biomarkers):
        if biomarker.gene is not None and (problem := symbol_problem(biomarker.gene)):
            yield FieldProblem(f"biomarkers[{i}].gene", problem)
        if biomarker.fusion is not None:
            problem = fusion_problem(biomarker.fusion)
            if problem is None:
                problem = next(filter(None, map(symbol_problem, biomarker.fusion.split("::"))), None)
            if problem:
                yield FieldProblem(f"biomarkers[{i}].fusion", problem)


def _protocol_of(curated: CuratedTrial) -> Protocol | list[FieldProblem]:
    """The protocol holding the trial's criteria, or the problems that leave it without one."""
    if curated.eligibility_from_protocol is not None:
        try:
            protocol = load_protocol(curated.eligibility_from_protocol)
        except ProtocolError as error:
            return [FieldProblem("eligibility_from_protocol", p.problem) for p in error.problems]
        if protocol.eligibility is None or protocol.provenance.registry_id != curated.id:
            message = f"protocol {protocol.id} encodes no eligibility for registry id {curated.id}"
            return [FieldProblem("eligibility_from_protocol", message)]
        return protocol
    data = curated.model_dump(mode="json", by_alias=True, exclude_none=True)
    fields = {key: data[key] for key in ("id", "title", "version", "provenance", "parameters", "eligibility")}
    try:
        return Protocol.model_validate(fields)
    except ValidationError as error:
        return problems_from_validation(error)


def _curated_problems(curated: CuratedTrial) -> list[FieldProblem]:
    """The trial's cross-checks; problems of its protocol come alone, as the rest need it."""
    protocol = _protocol_of(curated)
    if isinstance(protocol, list):
        return protocol
    problems = [*_source_problems(curated), *_biomarker_problems(curated)]
    if curated.eligibility_from_protocol is None:
        problems += protocol_problems(protocol)
    return problems


CURATED_TRIAL_FILE = DataFileKind(
    CuratedTrial,
    error=TrialFileError,
    schema=trial_json_schema,
    whole="(trial)",
    checks=_curated_problems,
)


def _trial(curated: CuratedTrial) -> Trial:
    protocol = _protocol_of(curated)
    assert isinstance(protocol, Protocol)  # the file's cross-checks passed
    return Trial(
        id=curated.id,
        title=curated.title,
        acronym=curated.acronym,
        version=curated.version,
        protocol=protocol,
        origin="curated",
        status=curated.status,
        conditions=tuple(curated.conditions),
        interventions=tuple(curated.interventions),
        phases=tuple(curated.phases),
        biomarkers=tuple(curated.biomarkers),
        sites=tuple(curated.sites),
        not_eligibility=tuple(curated.not_eligibility),
        curated=curated,
    )


def parse_curated_trial(data: Any, *, source: str) -> Trial:
    """Validate decoded YAML as a curated trial; raise :class:`TrialFileError` naming each problem."""
    return _trial(CURATED_TRIAL_FILE.parse(data, source=source))


def load_curated_text(text: str, *, source: str) -> Trial:
    """Parse and check curated trial YAML 1.2 text."""
    return _trial(CURATED_TRIAL_FILE.load_text(text, source=source))


def load_curated_file(path: Path) -> Trial:
    """Load and check a curated trial file; the file name must be ``<its id>.yaml``."""
    trial = _trial(CURATED_TRIAL_FILE.load_file(path))
    if path.name != f"{trial.id}.yaml":
        raise TrialFileError(str(path), [FieldProblem("id", f"{trial.id!r} differs from the file name")])
    return trial


def shipped_trial_ids() -> list[str]:
    """Ids of the curated trials shipped with the package, sorted."""
    return sorted(e.name.removesuffix(".yaml") for e in _DATA.iterdir() if _TRIAL_FILE.match(e.name))


@cache
def load_shipped_trial(trial_id: str) -> Trial:
    """A shipped curated trial by NCT id."""
    if trial_id not in shipped_trial_ids():
        known = ", ".join(shipped_trial_ids())
        raise TrialFileError("--trial", [FieldProblem(trial_id, f"no curated trial; shipped: {known}")])
    entry = _DATA / f"{trial_id}.yaml"
    return load_curated_text(entry.read_text("utf-8"), source=f"trial {trial_id}")


def shipped_trials() -> tuple[Trial, ...]:
    """Every curated trial shipped with the package (each loaded once per process)."""
    return tuple(load_shipped_trial(trial_id) for trial_id in shipped_trial_ids())


def local_curated_files(folder: Path) -> list[Path]:
    """Curated trial files in a registry's ``curated/`` folder, sorted."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if _TRIAL_FILE.match(path.name))
