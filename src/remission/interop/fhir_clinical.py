"""The clinical resources of a patient's FHIR Bundle: Condition, the Observations (WBC, CNS status,
KMT2A and fusions in the HL7 Genomics Reporting IG's variant shape, MRD), AdverseEvent,
MedicationAdministration (anthracyclines, dexrazoxane) and Procedure (HSCT).

Each builder returns plain FHIR JSON (a dict); :mod:`remission.interop.fhir_export` validates every
one with the R4B model. Units are converted explicitly (:func:`quantity`); a missing or coded value
is an absent value with its ``dataAbsentReason``.
"""

from __future__ import annotations

from typing import Any

from remission.interop import fhir_codes as codes
from remission.interop.fhir_casebook import (
    Form,
    absent_extension,
    absent_reason,
    coding,
    concept,
    iso_date,
    stable_id,
)
from remission.record.vocabulary import WhoType

#: The record's WBC is in 10⁹/L (``wbc_at_diagnosis_1e9_per_l``); the export writes UCUM 10*9/L,
#: so the factor is one — kept explicit so a change of either unit is one edit here.
_WBC_FACTOR_TO_1E9_PER_L = 1.0
#: MRD and assay sensitivity are fractions in the record (1e-4 = 0.01 %); FHIR gets UCUM ``1``.
_FRACTION_FACTOR = 1.0
#: Anthracycline doses are mg/m² in the record (``dose_mg_per_m2``); UCUM ``mg/m2``.
_MG_PER_M2_FACTOR = 1.0


def quantity(value: float, unit: str, factor: float) -> dict[str, Any]:
    """A UCUM Quantity of ``value × factor`` in ``unit``."""
    return {"value": value * factor, "unit": unit, "system": codes.UCUM, "code": unit}


def _observation(
    resource_id: str, patient: str, code: dict[str, Any], category: codes.Code, when: str | None
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "category": [{"coding": [coding(category)]}],
        "code": code,
        "subject": {"reference": patient},
    }
    if when is not None:
        resource["effectiveDateTime"] = when
    return resource


def condition(study_id: str, baseline: Form | None, patient: str) -> dict[str, Any]:
    """The leukemia: ALL with its SNOMED CT and ICD-10 codes; ALAL and the rest as text (no verified code)."""
    who = baseline.value("diagnosis.who_type") if baseline else None
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": stable_id(study_id, "condition"),
        "clinicalStatus": {"coding": [coding(codes.ACTIVE)]},
        "verificationStatus": {"coding": [coding(codes.CONFIRMED)]},
        "subject": {"reference": patient},
    }
    if who in (WhoType.B_ALL.value, WhoType.T_ALL.value):
        lineage_code = codes.B_ALL_NCIT if who == WhoType.B_ALL.value else codes.T_ALL_NCIT
        resource["code"] = concept(
            f"Acute lymphoblastic leukemia ({who})", codes.ALL_SNOMED, codes.ALL_ICD10, lineage_code
        )
    elif who == WhoType.ALAL.value:
        lineage = baseline.value("diagnosis.alal_predominant_lineage") if baseline else None
        predominance = f", {lineage} predominant" if lineage else ""
        resource["code"] = concept(f"Acute leukemia of ambiguous lineage{predominance}")
    elif who is not None:
        resource["code"] = concept(str(who))
    else:
        field = baseline.field("diagnosis.who_type") if baseline else None
        resource["code"] = {"extension": absent_extension(field)}
    onset = iso_date(baseline.value("diagnosis.date")) if baseline else None
    if onset is not None:
        resource["onsetDateTime"] = onset
    return resource


def wbc(study_id: str, baseline: Form | None, patient: str) -> dict[str, Any]:
    """The WBC at diagnosis (LOINC 6690-2) in 10*9/L."""
    when = iso_date(baseline.value("diagnosis.date")) if baseline else None
    resource = _observation(
        stable_id(study_id, "observation", "wbc"),
        patient,
        concept("WBC at diagnosis", codes.WBC),
        codes.LABORATORY,
        when,
    )
    value = baseline.value("wbc_at_diagnosis_1e9_per_l") if baseline else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        resource["valueQuantity"] = quantity(float(value), codes.UNIT_1E9_PER_L, _WBC_FACTOR_TO_1E9_PER_L)
    else:
        field = baseline.field("wbc_at_diagnosis_1e9_per_l") if baseline else None
        resource["dataAbsentReason"] = {"coding": [coding(absent_reason(field))]}
    return resource


def cns_status(study_id: str, baseline: Form | None, patient: str) -> dict[str, Any]:
    """The CNS status at diagnosis (CNS1/2/3) under remission's CNS status system: no verified code."""
    when = iso_date(baseline.value("diagnosis.date")) if baseline else None
    resource = _observation(
        stable_id(study_id, "observation", "cns"),
        patient,
        concept("CNS status at diagnosis"),
        codes.EXAM,
        when,
    )
    value = baseline.value("cns_status") if baseline else None
    if value is not None:
        resource["valueCodeableConcept"] = {
            "coding": [{"system": codes.CNS_STATUS, "code": str(value), "display": str(value)}],
            "text": str(value),
        }
    else:
        field = baseline.field("cns_status") if baseline else None
        resource["dataAbsentReason"] = {"coding": [coding(absent_reason(field))]}
    return resource


def _gene_component(gene: str) -> dict[str, Any]:
    # The IG codes the gene with HGNC ids; the record holds symbols only, so the symbol goes as text.
    return {"code": {"coding": [coding(codes.GENE_STUDIED)]}, "valueCodeableConcept": {"text": gene}}


def kmt2a(study_id: str, baseline: Form | None, patient: str) -> dict[str, Any]:
    """KMT2A status in the Genomics Reporting IG variant shape (69548-6, gene studied KMT2A):
    rearranged → Present, germline → Absent; the method as text."""
    resource = _observation(
        stable_id(study_id, "observation", "kmt2a"),
        patient,
        concept("KMT2A rearrangement", codes.GENETIC_VARIANT_ASSESSMENT),
        codes.LABORATORY,
        None,
    )
    resource["component"] = [_gene_component("KMT2A")]
    status = baseline.value("genetics.kmt2a.status") if baseline else None
    if status == "rearranged":
        resource["valueCodeableConcept"] = concept("rearranged", codes.PRESENT)
        partner = baseline.value("genetics.kmt2a.partner") if baseline else None
        if partner:
            resource["component"].append(_gene_component(str(partner)))
    elif status == "germline":
        resource["valueCodeableConcept"] = concept("germline (not rearranged)", codes.ABSENT)
    else:
        field = baseline.field("genetics.kmt2a.status") if baseline else None
        resource["dataAbsentReason"] = {"coding": [coding(absent_reason(field))]}
    method = baseline.value("genetics.kmt2a.method") if baseline else None
    if method:
        resource["method"] = {"text": str(method)}
    return resource


def fusions(study_id: str, baseline: Form | None, patient: str) -> list[dict[str, Any]]:
    """One variant Observation (Present) per recorded fusion, each partner a gene studied."""
    found = baseline.value("genetics.fusions") if baseline else None
    if not isinstance(found, list):
        return []
    shown = []
    for fusion in found:
        resource = _observation(
            stable_id(study_id, "observation", "fusion", str(fusion)),
            patient,
            concept(f"{fusion} fusion", codes.GENETIC_VARIANT_ASSESSMENT),
            codes.LABORATORY,
            None,
        )
        resource["valueCodeableConcept"] = concept("present", codes.PRESENT)
        resource["component"] = [_gene_component(gene) for gene in str(fusion).split("::") if gene]
        shown.append(resource)
    return shown


def mrd(study_id: str, row: Form, patient: str) -> dict[str, Any]:
    """An MRD result: value as a fraction (UCUM 1), method under remission's MRD method system,
    sensitivity and time point as components; positive-not-quantifiable as text; none → absent."""
    method = row.value("method")
    resource = _observation(
        stable_id(study_id, "observation", row.key),
        patient,
        concept("Minimal residual disease"),
        codes.LABORATORY,
        iso_date(row.value("sample_date")),
    )
    value = row.value("value_fraction")
    if isinstance(value, int | float) and not isinstance(value, bool):
        resource["valueQuantity"] = quantity(float(value), codes.UNIT_FRACTION, _FRACTION_FACTOR)
    elif row.value("positive_not_quantifiable") is True:
        resource["valueCodeableConcept"] = {"text": "positive, not quantifiable"}
    else:
        resource["dataAbsentReason"] = {"coding": [coding(absent_reason(row.field("value_fraction")))]}
    if method is not None:
        resource["method"] = {
            "coding": [{"system": codes.MRD_METHOD, "code": str(method), "display": str(method)}],
            "text": str(method),
        }
    components = []
    time_point = row.value("time_point")
    if time_point is not None:
        components.append(
            {
                "code": {"text": "MRD time point"},
                "valueCodeableConcept": {
                    "coding": [{"system": codes.MRD_TIME_POINT, "code": str(time_point)}],
                    "text": str(time_point),
                },
            }
        )
    sensitivity = row.value("sensitivity_fraction")
    if isinstance(sensitivity, int | float) and not isinstance(sensitivity, bool):
        components.append(
            {
                "code": {"text": "MRD assay sensitivity"},
                "valueQuantity": quantity(float(sensitivity), codes.UNIT_FRACTION, _FRACTION_FACTOR),
            }
        )
    else:
        components.append(
            {
                "code": {"text": "MRD assay sensitivity"},
                "dataAbsentReason": {"coding": [coding(absent_reason(row.field("sensitivity_fraction")))]},
            }
        )
    resource["component"] = components
    return resource


def adverse_event(study_id: str, row: Form, patient: str, studies: list[str]) -> dict[str, Any]:
    """An adverse event: the CTCAE term as text, grade and terminology version as extensions."""
    resource: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "id": stable_id(study_id, "adverse-event", row.key),
        "actuality": "actual",
        "subject": {"reference": patient},
        "study": [{"reference": study} for study in studies],
    }
    extensions = []
    grade = row.value("grade")
    if isinstance(grade, int) and not isinstance(grade, bool):
        extensions.append({"url": codes.CTCAE_GRADE_EXTENSION, "valueInteger": grade})
    terminology = row.value("terminology")
    if terminology:
        extensions.append({"url": codes.AE_TERMINOLOGY_EXTENSION, "valueString": str(terminology)})
    if extensions:
        resource["extension"] = extensions
    term = row.value("term")
    resource["event"] = {"text": str(term)} if term else {"extension": absent_extension(row.field("term"))}
    onset = iso_date(row.value("onset_date"))
    if onset is not None:
        resource["date"] = onset
    serious = row.value("serious")
    if isinstance(serious, bool):
        resource["seriousness"] = {"text": "serious" if serious else "non-serious"}
    if not resource["study"]:
        del resource["study"]
    return resource


def anthracycline(study_id: str, row: Form, patient: str) -> list[dict[str, Any]]:
    """The dose's MedicationAdministration (RxNorm where verified, else text; mg/m2), and a
    dexrazoxane administration on the same day when it was given (the record holds no dose for it)."""
    drug = str(row.value("drug") or "")
    code = codes.RXNORM_INGREDIENTS.get(drug.lower())
    when = iso_date(row.value("date"))
    dose: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": stable_id(study_id, "medication", row.key),
        "status": "completed",
        "medicationCodeableConcept": concept(drug, code) if code else {"text": drug},
        "subject": {"reference": patient},
    }
    if when is not None:
        dose["effectiveDateTime"] = when
    else:
        dose["effectivePeriod"] = {"extension": absent_extension(row.field("date"))}
    amount = row.value("dose_mg_per_m2")
    if isinstance(amount, int | float) and not isinstance(amount, bool):
        dose["dosage"] = {"dose": quantity(float(amount), codes.UNIT_MG_PER_M2, _MG_PER_M2_FACTOR)}
    given = [dose]
    if row.value("dexrazoxane") is True:
        protector: dict[str, Any] = {
            "resourceType": "MedicationAdministration",
            "id": stable_id(study_id, "medication", row.key, "dexrazoxane"),
            "status": "completed",
            "medicationCodeableConcept": {"text": "dexrazoxane"},
            "subject": {"reference": patient},
            "note": [{"text": f"Given with the {drug} dose (dose not recorded)."}],
        }
        if when is not None:
            protector["effectiveDateTime"] = when
        else:
            protector["effectivePeriod"] = {"extension": absent_extension(row.field("date"))}
        given.append(protector)
    return given


def transplant(study_id: str, row: Form, patient: str) -> dict[str, Any]:
    """An allogeneic HSCT: code as text (no verified code), date, donor type and conditioning as notes."""
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": stable_id(study_id, "procedure", row.key),
        "status": "completed",
        "code": {"text": "Allogeneic hematopoietic stem cell transplantation"},
        "subject": {"reference": patient},
    }
    when = iso_date(row.value("date"))
    if when is not None:
        resource["performedDateTime"] = when
    notes = [
        f"{label}: {row.value(name)}"
        for name, label in (("donor_type", "donor"), ("conditioning_regimen", "conditioning"))
        if row.value(name)
    ]
    if notes:
        resource["note"] = [{"text": note} for note in notes]
    return resource
