"""Reading ClinicalTrials.gov API v2 study JSON files, with every problem named.

A file holds one study (the object ``GET /api/v2/studies/{nctId}`` returns) or a page of
studies (``{"studies": [...]}`` from ``GET /api/v2/studies``). Field names follow the API v2
study data structure: ``protocolSection.identificationModule.nctId``,
``statusModule.overallStatus``, ``eligibilityModule.{eligibilityCriteria, minimumAge, maximumAge,
sex, healthyVolunteers, stdAges}``, ``conditionsModule.conditions``,
``armsInterventionsModule.interventions``, ``contactsLocationsModule.locations[].{facility, city,
country, status, geoPoint.{lat, lon}}``.

Any problem refuses the whole file (:class:`TrialFileError`, exit 2 on the command line), so
that nothing is imported in part.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from remission.errors import FieldProblem, InputError
from remission.trials.ages import AgeFormatError, parse_registered_age
from remission.trials.model import OverallStatus
from remission.untrusted import loads_json, max_input_bytes, read_text

_CLASSIC_KEYS = ("FullStudiesResponse", "StudyFieldsResponse", "FullStudy", "StudyFieldsList")
_SEX = ("ALL", "FEMALE", "MALE")
_STD_AGES = ("CHILD", "ADULT", "OLDER_ADULT")
_STATUSES = tuple(status.value for status in OverallStatus)


#: A registry page of many studies is larger than a record: up to 256 MiB is read (or
#: ``REMISSION_MAX_INPUT_BYTES`` when larger). API v2 study JSON nests about ten levels.
MAX_REGISTRY_FILE_BYTES = 256 * 1024 * 1024
MAX_REGISTRY_DEPTH = 64


class TrialFileError(InputError):
    """A trial file (registry JSON or curated YAML) that cannot be used; nothing of it is imported."""


@dataclass(frozen=True, slots=True)
class StudyInFile:
    """One study read from a file: its NCT id, the raw API v2 object, and where it came from."""

    nct_id: str
    study: dict[str, Any]
    source: str  # "FILE" or "FILE studies[3]"


def _get(node: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _type_problem(value: Any, expected: type, name: str) -> str | None:
    """Why ``value`` (when given) is not of the ``expected`` JSON type; ``None`` when it is."""
    if value is None:
        return None
    fits = (
        isinstance(value, bool)
        if expected is bool
        else isinstance(value, expected) and not isinstance(value, bool)
    )
    return None if fits else f"expected {name}, got {json.dumps(value)[:60]}"


def _module_problems(protocol: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Problems of one ``protocolSection`` as (path inside it, message)."""
    for module in (
        "identificationModule",
        "statusModule",
        "eligibilityModule",
        "conditionsModule",
        "armsInterventionsModule",
        "contactsLocationsModule",
    ):
        if module in protocol and not isinstance(protocol[module], dict):
            yield module, "expected an object"
    nct = _get(protocol, "identificationModule.nctId")
    if nct is None:
        yield "identificationModule.nctId", "missing: every study needs its NCT number"
    elif not isinstance(nct, str) or not nct.startswith("NCT") or len(nct) != 11 or not nct[3:].isdigit():
        yield "identificationModule.nctId", f"{nct!r} is not an NCT number (NCT followed by 8 digits)"
    for name in ("briefTitle", "officialTitle", "acronym"):
        problem = _type_problem(_get(protocol, f"identificationModule.{name}"), str, "a string")
        if problem:
            yield f"identificationModule.{name}", problem
    status = _get(protocol, "statusModule.overallStatus")
    if status is not None and status not in _STATUSES:
        yield "statusModule.overallStatus", f"{status!r} is not an API v2 status ({', '.join(_STATUSES)})"
    yield from _eligibility_problems(_get(protocol, "eligibilityModule") or {})
    conditions = _get(protocol, "conditionsModule.conditions")
    if conditions is not None and not (
        isinstance(conditions, list) and all(isinstance(c, str) for c in conditions)
    ):
        yield "conditionsModule.conditions", "expected a list of strings"
    interventions = _get(protocol, "armsInterventionsModule.interventions")
    if interventions is not None and not (
        isinstance(interventions, list) and all(isinstance(i, dict) for i in interventions)
    ):
        yield "armsInterventionsModule.interventions", "expected a list of objects"
    yield from _location_problems(_get(protocol, "contactsLocationsModule.locations"))


def _eligibility_problems(module: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(module, dict):
        return
    prefix = "eligibilityModule."
    for bound in ("minimumAge", "maximumAge"):
        try:
            parse_registered_age(module.get(bound))
        except AgeFormatError as error:
            yield prefix + bound, str(error)
    problem = _type_problem(module.get("eligibilityCriteria"), str, "a string")
    if problem:
        yield prefix + "eligibilityCriteria", problem
    sex = module.get("sex")
    if sex is not None and sex not in _SEX:
        yield prefix + "sex", f"{sex!r} is not one of {', '.join(_SEX)}"
    problem = _type_problem(module.get("healthyVolunteers"), bool, "true or false")
    if problem:
        yield prefix + "healthyVolunteers", problem
    std_ages = module.get("stdAges")
    if std_ages is not None and not (isinstance(std_ages, list) and all(a in _STD_AGES for a in std_ages)):
        yield prefix + "stdAges", f"expected a list of {', '.join(_STD_AGES)}"


def _location_problems(locations: Any) -> Iterator[tuple[str, str]]:
    if locations is None:
        return
    if not isinstance(locations, list):
        yield "contactsLocationsModule.locations", "expected a list"
        return
    for index, location in enumerate(locations):
        where = f"contactsLocationsModule.locations[{index}]"
        if not isinstance(location, dict):
            yield where, "expected an object"
            continue
        for name in ("facility", "city", "country"):
            problem = _type_problem(location.get(name), str, "a string")
            if problem:
                yield f"{where}.{name}", problem
        status = location.get("status")
        if status is not None and status not in _STATUSES:
            yield f"{where}.status", f"{status!r} is not an API v2 status"
        point = location.get("geoPoint")
        if point is None:
            continue
        if not isinstance(point, dict):
            yield f"{where}.geoPoint", "expected an object with lat and lon"
            continue
        for axis, limit in (("lat", 90), ("lon", 180)):
            value = point.get(axis)
            if isinstance(value, bool) or not isinstance(value, int | float) or not -limit <= value <= limit:
                yield f"{where}.geoPoint.{axis}", f"{value!r} is not a number in [-{limit}, {limit}]"


def study_problems(study: Any) -> list[FieldProblem]:
    """Every problem of one API v2 study object, with paths from ``protocolSection``; empty when sound."""
    protocol = study.get("protocolSection") if isinstance(study, dict) else None
    if not isinstance(protocol, dict):
        return [FieldProblem("protocolSection", "missing: not an API v2 study")]
    return [FieldProblem(f"protocolSection.{path}", message) for path, message in _module_problems(protocol)]


def _studies_of(data: Any) -> tuple[list[Any], bool]:
    """The study objects of decoded JSON and whether it was a page; raises for other shapes."""
    if isinstance(data, dict) and isinstance(data.get("studies"), list):
        return data["studies"], True
    if isinstance(data, dict) and "protocolSection" in data:
        return [data], False
    if isinstance(data, dict) and any(key in data for key in _CLASSIC_KEYS):
        raise ValueError(
            "this is ClinicalTrials.gov classic API JSON, not API v2; download the study from "
            "https://clinicaltrials.gov/api/v2/studies/NCT... instead"
        )
    if isinstance(data, dict):
        keys = ", ".join(sorted(map(str, data))[:6]) or "none"
        raise ValueError(
            "not ClinicalTrials.gov API v2 study JSON: expected a study (with protocolSection) or a "
            f'page {{"studies": [...]}}; top-level keys: {keys}'
        )
    raise ValueError(
        f"not ClinicalTrials.gov API v2 study JSON: the file holds a JSON {type(data).__name__}, "
        'expected a study object or a {"studies": [...]} page'
    )


def read_study_file(path: Path) -> list[StudyInFile]:
    """Every study in ``path``, checked; raise :class:`TrialFileError` naming each problem."""
    source = str(path)
    text = read_text(path, limit=max(max_input_bytes(), MAX_REGISTRY_FILE_BYTES), error=TrialFileError)
    if text.lstrip().startswith("<"):
        message = "looks like XML or HTML; expected ClinicalTrials.gov API v2 JSON"
        raise TrialFileError(source, [FieldProblem("(file)", message)])
    data = loads_json(text, source=source, max_depth=MAX_REGISTRY_DEPTH, error=TrialFileError)
    try:
        studies, paged = _studies_of(data)
    except ValueError as error:
        raise TrialFileError(source, [FieldProblem("(file)", str(error))]) from None
    if not studies:
        raise TrialFileError(source, [FieldProblem("studies", "the page holds no studies")])
    problems: list[FieldProblem] = []
    read: list[StudyInFile] = []
    for index, study in enumerate(studies):
        where = f"studies[{index}]." if paged else ""
        protocol = study.get("protocolSection") if isinstance(study, dict) else None
        if not isinstance(protocol, dict):
            problems.append(
                FieldProblem(f"{where}protocolSection".lstrip("."), "missing: not an API v2 study")
            )
            continue
        nct = _get(protocol, "identificationModule.nctId")
        label = f"{where}protocolSection" if not isinstance(nct, str) else f"{where}({nct}) protocolSection"
        problems += [FieldProblem(f"{label}.{path}", message) for path, message in _module_problems(protocol)]
        if isinstance(nct, str):
            read.append(StudyInFile(nct, study, f"{source} studies[{index}]" if paged else source))
    if problems:
        raise TrialFileError(source, problems)
    return read
