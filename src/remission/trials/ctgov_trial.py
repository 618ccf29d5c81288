"""Turning one ClinicalTrials.gov API v2 study into a :class:`Trial`.

The structured fields become automatic criteria: ``minimumAge``/``maximumAge`` become age tests
in the registered unit on the matching date (the prospective study entry), with the bound held
in a parameter; ``sex`` other than ``ALL`` becomes a test of ``patient.sex``. The free text is
split into bullets that stay ``not_computable`` (so the verdict is *needs review*) until a
curator encodes them in a curated trial file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from pydantic import ValidationError

from remission.errors import problems_from_validation
from remission.protocols.consistency import protocol_problems
from remission.protocols.model import Protocol
from remission.trials.ages import RegisteredAge, parse_registered_age
from remission.trials.criteria_text import split_criteria
from remission.trials.ctgov_read import TrialFileError
from remission.trials.model import RegistryRecord, Site, Status, Trial

REGISTRY = "registry"
DEFINITIONS = "ctgov-definitions"
_DEFINITIONS_URL = "https://prsinfo.clinicaltrials.gov/definitions.html"
_AGE_OPEN_QUESTIONS = [
    {
        "id": "age-reference-date",
        "text": (
            "The registry's age bounds do not say on which date the age is taken. They are read as "
            "the age on the matching date, which stands for the prospective study entry."
        ),
    },
    {
        "id": "maximum-age-reading",
        "text": (
            "maximumAge is read as the oldest completed age allowed: 'maximumAge 18 Years' admits a "
            "child of 18 years and 11 months. The Data Element Definitions call it 'the maximum age a "
            "potential participant can be'; whether completed units are meant is not stated."
        ),
    },
]


def _get(node: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def registry_date(value: Any) -> dt.date | None:
    """A registry date (``YYYY-MM-DD`` or ``YYYY-MM``, read as the month's first day), else ``None``."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value if len(value) == 10 else f"{value}-01")
    except ValueError:
        return None


def _age_criterion(bound: str, age: RegisteredAge, parameters: dict[str, Any]) -> dict[str, Any]:
    criterion_id = f"registry-{bound}-age"
    text = f"{'Minimum' if bound == 'minimum' else 'Maximum'} age: {age.text}"
    if not age.computable or age.unit is None or age.value is None:
        note = f"{age.conversion}; the record holds dates, not times, so a person checks this bound."
        return {
            "id": criterion_id,
            "kind": "inclusion",
            "text": text,
            "decided": "not_computable",
            "source": REGISTRY,
            "note": note,
        }
    name = f"{bound}_age_{age.unit.value}"
    described = f"{bound}Age {age.text!r} as registered" + (f" ({age.conversion})" if age.conversion else "")
    parameters[name] = {
        "value": age.value,
        "unit": f"{age.unit.value} (completed)",
        "description": described,
        "source": REGISTRY,
    }
    comparison = "ge" if bound == "minimum" else "le"
    return {
        "id": criterion_id,
        "kind": "inclusion",
        "text": text,
        "decided": "automatic",
        "source": REGISTRY,
        "note": f"Age in completed {age.unit.value} on the matching date (the prospective study entry).",
        "expression": {"age": {"on": "study_entry", "unit": age.unit.value, comparison: {"param": name}}},
    }


def _bullet_id(kind: str, context: tuple[str, ...], text: str, taken: set[str]) -> str:
    """A stable id from the bullet's content, so that an attestation follows its text.

    When the registry rewrites a bullet its id changes, and an attestation of the old text is
    reported instead of being applied to different words.
    """
    digest = hashlib.sha1("\n".join([kind, *context, text]).encode("utf-8")).hexdigest()[:8]
    base = f"{'incl' if kind == 'inclusion' else 'excl'}-{digest}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def _free_text_criteria(text: str | None) -> list[dict[str, Any]]:
    bullets = split_criteria(text or "")
    if not bullets:
        # No text, or headings only: never let a study look eligible for want of criteria.
        return [
            {
                "id": "registry-criteria-text",
                "kind": "inclusion",
                "decided": "not_computable",
                "source": REGISTRY,
                "text": "The registry record gives no eligibility criteria text (or only headings).",
                "note": "Nothing to encode: a person checks eligibility with the study team.",
            }
        ]
    criteria: list[dict[str, Any]] = []
    ids: list[str] = []
    taken: set[str] = set()
    for bullet in bullets:
        kind = bullet.kind or "inclusion"
        criterion_id = _bullet_id(kind, bullet.context, bullet.text, taken)
        notes = []
        if bullet.kind is None:
            notes.append("text before any inclusion/exclusion heading; kind assumed inclusion")
        if bullet.context:
            notes.append("under " + " / ".join(bullet.context))
        if bullet.parent is not None:
            notes.append(f"indented under {ids[bullet.parent]}")
        ids.append(criterion_id)
        entry = {
            "id": criterion_id,
            "kind": kind,
            "text": bullet.text,
            "decided": "not_computable",
            "source": REGISTRY,
        }
        if notes:
            entry["note"] = "; ".join(notes)
        criteria.append(entry)
    return criteria


def _sites(locations: Any) -> tuple[Site, ...]:
    sites = []
    for location in locations or []:
        point = location.get("geoPoint") or {}
        sites.append(
            Site(
                facility=location.get("facility"),
                city=location.get("city"),
                country=location.get("country"),
                status=location.get("status"),
                lat=point.get("lat"),
                lon=point.get("lon"),
            )
        )
    return tuple(sites)


def study_to_trial(study: dict[str, Any], *, imported_on: dt.date, source_file: str) -> Trial:
    """A trial from one checked API v2 study (see :func:`read_study_file`).

    Raises :class:`TrialFileError` if the criteria built from it do not load (a bug, not bad input).
    """
    section = study["protocolSection"]
    nct = section["identificationModule"]["nctId"]
    ident = section["identificationModule"]
    eligibility = section.get("eligibilityModule") or {}
    last_update = _get(section, "statusModule.lastUpdatePostDateStruct.date")
    parameters: dict[str, Any] = {}
    criteria: list[dict[str, Any]] = []
    for bound in ("minimum", "maximum"):
        age = parse_registered_age(eligibility.get(f"{bound}Age"))
        if age is not None:
            criteria.append(_age_criterion(bound, age, parameters))
    sex = eligibility.get("sex")
    if sex in ("FEMALE", "MALE"):
        criteria.append(
            {
                "id": "registry-sex",
                "kind": "inclusion",
                "text": f"Sex: {sex}",
                "decided": "automatic",
                "source": REGISTRY,
                "expression": {"field": "patient.sex", "equals": sex.lower()},
            }
        )
    criteria += _free_text_criteria(eligibility.get("eligibilityCriteria"))
    sources = [
        {
            "id": REGISTRY,
            "url": f"https://clinicaltrials.gov/study/{nct}",
            "accessed": imported_on.isoformat(),
            "citation": f"ClinicalTrials.gov API v2 record {nct}, last update posted "
            f"{last_update or 'not given'}, imported from {source_file}.",
        },
        {
            "id": DEFINITIONS,
            "url": _DEFINITIONS_URL,
            "citation": "ClinicalTrials.gov Protocol Registration Data Element Definitions: age bounds.",
        },
    ]
    has_ages = any(c["id"].endswith("-age") for c in criteria)
    source_date = registry_date(last_update)
    data = {
        "id": nct,
        "title": ident.get("briefTitle") or ident.get("officialTitle") or nct,
        "version": last_update or f"imported-{imported_on.isoformat()}",
        "provenance": {
            "sources": sources,
            "registry_id": nct,
            "source_date": source_date.isoformat() if source_date else None,
            "encoded_on": imported_on.isoformat(),
            "encoded_by": "remission trials import (automatic)",
            "open_questions": _AGE_OPEN_QUESTIONS if has_ages else [],
        },
        "parameters": parameters,
        "eligibility": criteria,
    }
    try:
        protocol = Protocol.model_validate(data)
    except ValidationError as error:
        raise TrialFileError(f"{source_file} ({nct})", problems_from_validation(error)) from None
    problems = protocol_problems(protocol)
    if problems:
        raise TrialFileError(f"{source_file} ({nct})", problems)
    overall = _get(section, "statusModule.overallStatus")
    status_date = registry_date(last_update) or imported_on
    interventions = _get(section, "armsInterventionsModule.interventions") or []
    return Trial(
        id=nct,
        title=protocol.title,
        acronym=ident.get("acronym"),
        version=protocol.version,
        protocol=protocol,
        origin="imported",
        status=Status(overall=overall, as_of=status_date, source=REGISTRY) if overall else None,
        conditions=tuple(_get(section, "conditionsModule.conditions") or ()),
        interventions=tuple(
            f"{item.get('type', '').title()}: {item.get('name', '')}".strip(": ") for item in interventions
        ),
        phases=tuple(_get(section, "designModule.phases") or ()),
        sites=_sites(_get(section, "contactsLocationsModule.locations")),
        registry=RegistryRecord(
            imported_on=imported_on,
            source_file=source_file,
            last_update_posted=last_update,
            minimum_age=eligibility.get("minimumAge"),
            maximum_age=eligibility.get("maximumAge"),
            sex=sex,
            healthy_volunteers=eligibility.get("healthyVolunteers"),
            std_ages=tuple(eligibility.get("stdAges") or ()),
            criteria_text=eligibility.get("eligibilityCriteria"),
        ),
    )
