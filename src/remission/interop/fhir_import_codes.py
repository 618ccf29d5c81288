"""The codings the FHIR import recognises, each with where it was verified.

Nothing here is guessed: a coding that is not listed is ignored and named in the mapping report,
and a listed coding that does not settle a record field (ICD-10 "acute lymphoblastic leukaemia"
says neither B nor T) leaves that field unknown. Codes the export writes
(:mod:`remission.interop.fhir_codes`, when present) are recognised as well.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from remission.interop import fhir_codes as export_codes

LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"
ICD_10: Final = "http://hl7.org/fhir/sid/icd-10"
ICD_10_CM: Final = "http://hl7.org/fhir/sid/icd-10-cm"
V3_ROLE_CODE: Final = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
CONSENT_SCOPE: Final = "http://terminology.hl7.org/CodeSystem/consentscope"
CONDITION_VERIFICATION: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

#: remission's own code system for record fields that no standard terminology codes (an attested
#: criterion, "no predisposition syndrome", a CNS status as the record words it). Each code is the
#: record field it carries (docs/record.md); it is not a standard terminology and claims to be none.
REMISSION_RECORD: Final = "https://remission.dev/fhir/CodeSystem/record-field"

#: White blood cell count in blood (LOINC). 6690-2 "Leukocytes [#/volume] in Blood by Automated
#: count": US Core 6.1/7.0 example Observation cbc-leukocytes (hl7.org/fhir/us/core/Observation-
#: cbc-leukocytes.html) and the CIBMTR reporting IG value set cbc-blood-automated-vs (58410-2).
#: 26464-8 "Leukocytes [#/volume] in Blood": ReMeDi-Blut IG value set "haemozyten" (FH Dortmund).
WBC_LOINC: Final = frozenset({"6690-2", "26464-8"})

#: UCUM units of a WBC count, as the factor to ×10⁹/L (exact decimals: no float rounding).
#: 10*9/L and 10*3/uL are the same quantity (10³ per 10⁻⁶ L = 10⁹ per L; the US Core example
#: above reports 10*3/uL); /uL (cells per µL, as in the SSIDL IG's 6690-2) is 10⁶ per L.
WBC_UNIT_FACTORS: Final[dict[str, Decimal]] = {
    "10*9/L": Decimal(1),
    "10*3/uL": Decimal(1),
    "10*3/mm3": Decimal(1),
    "/uL": Decimal("0.001"),
    "/mm3": Decimal("0.001"),
    "10*6/L": Decimal("0.001"),
    "/L": Decimal("1e-9"),
}

#: Diagnosis codes that settle the record's WHO type (sources in fhir_codes).
WHO_TYPE_CODES: Final[dict[tuple[str, str], str]] = {
    (export_codes.B_ALL_NCIT.system, export_codes.B_ALL_NCIT.code): "B-ALL",
    (export_codes.T_ALL_NCIT.system, export_codes.T_ALL_NCIT.code): "T-ALL",
}

#: Diagnosis codes of acute lymphoblastic leukaemia that do not say B or T lineage: the WHO type
#: stays unknown. ICD-10 C91.0 (WHO ICD-10 2019, chapter II, C91 lymphoid leukaemia); ICD-10-CM
#: C91.00 / C91.01 / C91.02 (mCODE STU2 value set elixhauser-cancer-leukemia-vs).
#: SNOMED CT 91857003 "Acute lymphoid leukemia" (the export's code; its source is in fhir_codes.py)
#: says no lineage either.
ALL_WITHOUT_LINEAGE_CODES: Final = frozenset(
    {
        (ICD_10, "C91.0"),
        (ICD_10_CM, "C91.00"),
        (ICD_10_CM, "C91.01"),
        (ICD_10_CM, "C91.02"),
        (export_codes.ALL_SNOMED.system, export_codes.ALL_SNOMED.code),
        (export_codes.ALL_ICD10.system, export_codes.ALL_ICD10.code),
    }
)

#: RelatedPerson.relationship codes (HL7 v3 RoleCode) read as a parent or a guardian: MTH mother,
#: FTH father (RuCore IG ConceptMap core-cm-relatedperson-hl7), GUARD guardian (HL7 THO; IHE PCC
#: value set Patient.Contact.Relationship.Roles.VS: "legally empowered with responsibility for
#: the care of a ward").
PARENT_ROLES: Final = frozenset({"MTH", "FTH"})
GUARDIAN_ROLES: Final = frozenset({"GUARD"})

#: Consent.scope of a research consent (FHIR R4 value set consent-scope: adr, research,
#: patient-privacy, treatment).
RESEARCH_SCOPE: Final = "research"

#: Condition.verificationStatus codes under which a Condition is not read (FHIR R4 value set
#: condition-ver-status): ruled out, or entered in error.
NOT_READ_VERIFICATION: Final = frozenset({"refuted", "entered-in-error"})

#: UCUM units of an MRD value, as the factor to a fraction: "1" (unity) and "%" (per cent).
MRD_UNIT_FACTORS: Final[dict[str, Decimal]] = {"1": Decimal(1), "%": Decimal("0.01")}
