"""Differential test: a bundle written from random record values imports as the hand-written record.

The bundle is written here by the mapping of docs/interop.md §3, independently of the
import's code; the import must give exactly the record :func:`remission.record.parse_record`
gives for the same values, for every combination Hypothesis draws (fields present or absent).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from remission.interop.fhir_import import import_bundle
from remission.record import parse_record
from remission.record.vocabulary import CNSStatus, KMT2AStatus, RelapseStatus, Sex

TODAY = dt.date(2026, 12, 3)
RECORD_FIELD = "https://remission.dev/fhir/CodeSystem/record-field"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
WHO_CODES = {"B-ALL": "C8644", "T-ALL": "C3183"}
#: UCUM unit and the factor from ×10⁹/L to that unit.
UNITS = {"10*9/L": Decimal(1), "10*3/uL": Decimal(1), "/uL": Decimal(1000), "10*6/L": Decimal(1000)}


def observation(ident: str, code: str, **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "code": {"coding": [{"system": RECORD_FIELD, "code": code}]},
        **value,
    }


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the record's values, the bundle that carries them)."""
    born = draw(st.dates(dt.date(2023, 1, 1), dt.date(2025, 6, 1)))
    values: dict[str, Any] = {"patient": {"study_id": "P-01"}}
    resources: list[dict[str, Any]] = []
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "P-01", "birthDate": born.isoformat()}
    values["patient"]["date_of_birth"] = born.isoformat()
    sex = draw(st.none() | st.sampled_from(list(Sex)))
    if sex is not None:
        patient["gender"] = sex.value
        values["patient"]["sex"] = sex.value
    resources.append(patient)
    diagnosed = born + dt.timedelta(days=draw(st.integers(0, 500)))
    who = draw(st.none() | st.sampled_from(sorted(WHO_CODES)))
    if who is not None:
        resources.append(
            {
                "resourceType": "Condition",
                "id": "dx",
                "code": {"coding": [{"system": NCIT, "code": WHO_CODES[who]}]},
                "subject": {"reference": "Patient/P-01"},
                "onsetDateTime": diagnosed.isoformat(),
            }
        )
        values["diagnosis"] = {"date": diagnosed.isoformat(), "who_type": who}
        # WBC in tenths of ×10⁹/L, so every unit gives an exact decimal.
        tenths = draw(st.none() | st.integers(0, 9999))
        if tenths is not None:
            unit = draw(st.sampled_from(sorted(UNITS)))
            wbc = Decimal(tenths) / 10
            resources.append(
                {
                    "resourceType": "Observation",
                    "id": "wbc",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "6690-2"}]},
                    "effectiveDateTime": diagnosed.isoformat(),
                    "valueQuantity": {
                        "value": float(wbc * UNITS[unit]),
                        "system": "http://unitsofmeasure.org",
                        "code": unit,
                    },
                }
            )
            values["wbc_at_diagnosis_1e9_per_l"] = float(wbc)
    cns = draw(st.none() | st.sampled_from(list(CNSStatus)))
    if cns is not None:
        resources.append(observation("cns", "cns_status", valueString=cns.value))
        values["cns_status"] = cns.value
    kmt2a = draw(st.none() | st.sampled_from(list(KMT2AStatus)))
    if kmt2a is not None:
        resources.append(observation("kmt2a", "genetics.kmt2a.status", valueString=kmt2a.value))
        values["genetics"] = {"kmt2a": {"status": kmt2a.value}}
    relapse = draw(st.none() | st.sampled_from(list(RelapseStatus)))
    if relapse is not None:
        resources.append(observation("relapse", "relapse_status", valueString=relapse.value))
        values["relapse_status"] = relapse.value
    hsct = draw(st.none() | st.booleans())
    if hsct is not None:
        resources.append(observation("hsct", "prior_hsct", valueBoolean=hsct))
        values["prior_hsct"] = hsct
    for name in ("syndromes", "prior_steroids", "other_studies"):
        if draw(st.booleans()):
            resources.append(observation(name.replace("_", "-"), f"{name}.none", valueBoolean=True))
            values[name] = []
    return values, {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


@settings(max_examples=150, deadline=None)
@given(cases())
def test_fhir_import_equals_the_hand_written_record(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Whatever subset of fields a bundle carries, the import gives the record written by hand."""
    values, bundle = case
    imported = import_bundle(bundle, today=TODAY, source="generated")
    assert imported.record == parse_record(values, today=TODAY)
    assert {item.field for item in imported.report.read} >= {"patient.study_id", "patient.date_of_birth"}
