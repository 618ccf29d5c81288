"""Bundles for the FHIR import tests: resources written by hand, and the import run on them."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from remission.errors import InputError
from remission.interop.fhir_import import ImportedBundle, import_bundle

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 12, 3)
RECORD_FIELD = "https://remission.dev/fhir/CodeSystem/record-field"
UCUM = "http://unitsofmeasure.org"


def patient(**extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "P-01", "gender": "male", "birthDate": "2024-02-01", **extra}


def leukemia(
    code: str = "C8644", system: str = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl", **extra: Any
):
    return {
        "resourceType": "Condition",
        "id": f"dx-{code}",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": "Patient/P-01"},
        "onsetDateTime": "2024-10-01",
        **extra,
    }


def wbc(value: float, unit: str, *, on: str = "2024-10-01", ident: str = "wbc", loinc: str = "6690-2"):
    return {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "effectiveDateTime": on,
        "valueQuantity": {"value": value, "system": UCUM, "code": unit},
    }


def record_field(code: str, ident: str | None = None, **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": ident or code.replace(".", "-").replace("_", "-"),
        "status": "final",
        "code": {"coding": [{"system": RECORD_FIELD, "code": code}]},
        **value,
    }


def bundle(*resources: dict[str, Any], profile_version: str | None = None) -> dict[str, Any]:
    resources = tuple(copy.deepcopy(r) for r in resources)
    if profile_version is not None:
        resources[0]["meta"] = {
            "profile": [
                f"http://hl7.org/fhir/StructureDefinition/{resources[0]['resourceType']}|{profile_version}"
            ]
        }
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def imported(*resources: dict[str, Any], protocol_id: str | None = "NCT06516679") -> ImportedBundle:
    return import_bundle(bundle(*resources), today=TODAY, source="test.json", protocol_id=protocol_id)


def unknown_reasons(result: Any) -> dict[str, str]:
    return {item.field: item.reason for item in result.report.unknown}


def problems(error: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [str(problem) for problem in error.value.problems]
