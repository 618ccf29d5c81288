"""Every code system and code the HL7 FHIR R4B export (and import) uses, each with where it was verified.

A concept we could not verify from a public source has no code here: the resource then carries
its meaning as ``CodeableConcept.text`` only, and docs/interop.md §2 lists it. Never add
a code without its source.
"""

from __future__ import annotations

from typing import Final, NamedTuple


class Code(NamedTuple):
    """One code of a code system, with its display text."""

    system: str
    code: str
    display: str


# --- Code systems -----------------------------------------------------------------------------
# The canonical URIs are those of the FHIR R4B terminology page (hl7.org/fhir/R4B/terminologies-systems.html).
LOINC: Final = "http://loinc.org"
SNOMED_CT: Final = "http://snomed.info/sct"
ICD_10: Final = "http://hl7.org/fhir/sid/icd-10"
RXNORM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM: Final = "http://unitsofmeasure.org"
#: HL7's data-absent-reason code system (R4B DataAbsentReason: unknown, asked-unknown, not-performed…).
DATA_ABSENT_REASON: Final = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
#: HL7's observation category code system (laboratory, exam…); US Core's examples use it.
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
#: HL7's condition clinical status and verification status code systems.
CONDITION_CLINICAL: Final = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
#: HL7's consent scope and category code systems (R4B Consent: scope ``research``).
CONSENT_SCOPE: Final = "http://terminology.hl7.org/CodeSystem/consentscope"

# --- remission's own code systems -------------------------------------------------------------
# No public code system names the MRD methods of pediatric ALL as the record does (flow cytometry,
# IG/TR RQ-PCR, KMT2A-fusion qPCR, NGS); LOINC has no MRD method axis we could verify. So the
# export says exactly what the record holds, under a CodeSystem remission defines (its codes are
# the record's MRDMethod values), rather than map it onto a guessed standard code.
REMISSION_BASE: Final = "https://remission.dev/fhir"
MRD_METHOD: Final = f"{REMISSION_BASE}/CodeSystem/mrd-method"
#: The record's MRD time points (end of induction, after consolidation 1…), which no standard names.
MRD_TIME_POINT: Final = f"{REMISSION_BASE}/CodeSystem/mrd-time-point"
#: The study id of a patient (pseudonymous), and the protocol id of a study.
STUDY_ID_SYSTEM: Final = f"{REMISSION_BASE}/identifier/study-id"
PROTOCOL_ID_SYSTEM: Final = f"{REMISSION_BASE}/identifier/protocol"
#: The CNS status (CNS1/2/3) of the record: a clinical classification with no verified code.
CNS_STATUS: Final = f"{REMISSION_BASE}/CodeSystem/cns-status"

# --- Codes ------------------------------------------------------------------------------------
#: Verified: US Core 7.0.0 example Observation "cbc-leukocytes"
#: (hl7.org/fhir/us/core/Observation-cbc-leukocytes.html) and the CTC Adverse Events IG example r201-7
#: (build.fhir.org/ig/standardhealth/fsh-ae/Observation-r201-7.html, value in UCUM 10*9/L).
WBC: Final = Code(LOINC, "6690-2", "Leukocytes [#/volume] in Blood by Automated count")
#: Verified: HL7 Genomics Reporting IG variant profile (``code = LNC#69548-6``) and its examples.
GENETIC_VARIANT_ASSESSMENT: Final = Code(LOINC, "69548-6", "Genetic variant assessment")
#: Verified: Genomics Reporting IG component slice ``gene-studied`` (``LNC#48018-6 "Gene studied [ID]"``).
GENE_STUDIED: Final = Code(LOINC, "48018-6", "Gene studied [ID]")
#: Verified: Genomics Reporting IG examples, ``valueCodeableConcept = LNC#LA9633-4 "Present"``;
#: LA9634-2 "Absent" from the same answer list (LL1971-2), as used beside it in public mappings.
PRESENT: Final = Code(LOINC, "LA9633-4", "Present")
ABSENT: Final = Code(LOINC, "LA9634-2", "Absent")
#: Verified: SNOMED CT 91857003 "Acute lymphoid leukemia, disease (disorder)" (UMLS C0023449 table;
#: a public ICD-10 ↔ SNOMED map pairs it with C91.0).
ALL_SNOMED: Final = Code(SNOMED_CT, "91857003", "Acute lymphoid leukemia")
#: Verified: ICD-10 (WHO) C91.0 "Acute lymphoblastic leukaemia", the same public map.
ALL_ICD10: Final = Code(ICD_10, "C91.0", "Acute lymphoblastic leukaemia")
#: HL7 Terminology (THO), CodeSystem v3-nciThesaurus.
NCI_THESAURUS: Final = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
#: Verified: NCI Thesaurus C8644 "B Acute Lymphoblastic Leukemia" and C3183 "T Acute Lymphoblastic
#: Leukemia" (NCIt class pages NCIT_C8644, NCIT_C3183): the lineage SNOMED 91857003 and C91.0 omit.
B_ALL_NCIT: Final = Code(NCI_THESAURUS, "C8644", "B Acute Lymphoblastic Leukemia")
T_ALL_NCIT: Final = Code(NCI_THESAURUS, "C3183", "T Acute Lymphoblastic Leukemia")
#: Verified: RxNorm ingredient 3639 doxorubicin (a public ontology table, ``RxNorm:3639``) and 3995
#: epirubicin (CPIC's drug table, cpicpgx/cpic-schema drug.sql). Daunorubicin, idarubicin,
#: mitoxantrone and dexrazoxane could not be verified in time: they go as text only.
RXNORM_INGREDIENTS: Final = {
    "doxorubicin": Code(RXNORM, "3639", "doxorubicin"),
    "epirubicin": Code(RXNORM, "3995", "epirubicin"),
}

# --- UCUM units (unitsofmeasure.org; the same strings as the examples cited above) ----------
UNIT_1E9_PER_L: Final = "10*9/L"
UNIT_MG_PER_M2: Final = "mg/m2"
#: A fraction (MRD): UCUM's unity ``1``.
UNIT_FRACTION: Final = "1"

#: A value is missing for no stated reason, or a missing-data code says why (R4B DataAbsentReason).
ABSENT_UNKNOWN: Final = Code(DATA_ABSENT_REASON, "unknown", "Unknown")
ABSENT_ASKED_UNKNOWN: Final = Code(DATA_ABSENT_REASON, "asked-unknown", "Asked But Unknown")
ABSENT_NOT_PERFORMED: Final = Code(DATA_ABSENT_REASON, "not-performed", "Not Performed")
ABSENT_NOT_APPLICABLE: Final = Code(DATA_ABSENT_REASON, "not-applicable", "Not Applicable")
ABSENT_MASKED: Final = Code(DATA_ABSENT_REASON, "masked", "Masked")
ABSENT_NOT_ASKED: Final = Code(DATA_ABSENT_REASON, "not-asked", "Not Asked")
ABSENT_ASKED_DECLINED: Final = Code(DATA_ABSENT_REASON, "asked-declined", "Asked But Declined")
#: The core extension that says why a primitive (birthDate, gender) or a CodeableConcept is absent.
DATA_ABSENT_REASON_EXTENSION: Final = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
#: remission's extensions on AdverseEvent: the CTCAE grade (1–5) and the terminology with its version
#: ("CTCAE v5.0"); R4B AdverseEvent has no element for either.
CTCAE_GRADE_EXTENSION: Final = f"{REMISSION_BASE}/StructureDefinition/ctcae-grade"
AE_TERMINOLOGY_EXTENSION: Final = f"{REMISSION_BASE}/StructureDefinition/ae-terminology"

LABORATORY: Final = Code(OBSERVATION_CATEGORY, "laboratory", "Laboratory")
EXAM: Final = Code(OBSERVATION_CATEGORY, "exam", "Exam")
ACTIVE: Final = Code(CONDITION_CLINICAL, "active", "Active")
CONFIRMED: Final = Code(CONDITION_VERIFICATION, "confirmed", "Confirmed")
RESEARCH: Final = Code(CONSENT_SCOPE, "research", "Research")
