"""The FHIR import reads back the shapes remission's own FHIR export writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.interop.fhir_bundles import (
    TODAY,
    UCUM,
    bundle,
    unknown_reasons,
)

from remission.interop.fhir_import import import_bundle
from remission.record.vocabulary import CNSStatus, KMT2AStatus


class TestExportShapes:
    """Resources in the shapes remission's FHIR export writes (fhir-export branch, fhir_clinical.py and
    fhir_study.py, with the codes of fhir_codes.py) are read back."""

    def export_bundle(self) -> dict[str, Any]:
        from remission.interop import fhir_codes as c

        gene = {"code": {"coding": [{"system": c.LOINC, "code": c.GENE_STUDIED.code}]}}
        return bundle(
            {
                "resourceType": "Patient",
                "id": "a1b2c3",
                "identifier": [{"system": c.STUDY_ID_SYSTEM, "value": "INF-01"}],
                "gender": "female",
                "birthDate": "2024-01-01",
            },
            {
                "resourceType": "Condition",
                "id": "cond",
                "code": {
                    "coding": [
                        {"system": c.SNOMED_CT, "code": c.ALL_SNOMED.code},
                        {"system": c.ICD_10, "code": c.ALL_ICD10.code},
                    ],
                    "text": "Acute lymphoblastic leukemia (B-ALL)",
                },
                "subject": {"reference": "Patient/a1b2c3"},
                "onsetDateTime": "2024-12-31",
            },
            {
                "resourceType": "Observation",
                "id": "cns",
                "status": "final",
                "code": {"text": "CNS status at diagnosis"},
                "valueCodeableConcept": {
                    "coding": [{"system": c.CNS_STATUS, "code": "CNS1"}],
                    "text": "CNS1",
                },
            },
            {
                "resourceType": "Observation",
                "id": "kmt2a",
                "status": "final",
                "code": {"coding": [{"system": c.LOINC, "code": c.GENETIC_VARIANT_ASSESSMENT.code}]},
                "valueCodeableConcept": {"coding": [{"system": c.LOINC, "code": c.PRESENT.code}]},
                "component": [
                    {**gene, "valueCodeableConcept": {"text": "KMT2A"}},
                    {**gene, "valueCodeableConcept": {"text": "AFF1"}},
                ],
                "method": {"text": "FISH"},
            },
            {
                "resourceType": "Observation",
                "id": "mrd",
                "status": "final",
                "code": {"text": "Minimal residual disease"},
                "effectiveDateTime": "2025-03-04",
                "valueQuantity": {"value": 0.0, "system": UCUM, "code": "1"},
                "method": {"coding": [{"system": c.MRD_METHOD, "code": "IG/TR RQ-PCR"}]},
                "component": [
                    {
                        "code": {"text": "MRD time point"},
                        "valueCodeableConcept": {
                            "coding": [{"system": c.MRD_TIME_POINT, "code": "after consolidation 1"}]
                        },
                    },
                    {
                        "code": {"text": "MRD assay sensitivity"},
                        "valueQuantity": {"value": 1e-5, "system": UCUM, "code": "1"},
                    },
                ],
            },
            {
                "resourceType": "Observation",
                "id": "wbc-absent",
                "status": "final",
                "code": {"coding": [{"system": c.LOINC, "code": c.WBC.code}]},
                "dataAbsentReason": {"coding": [{"system": c.DATA_ABSENT_REASON, "code": "not-performed"}]},
            },
            {
                "resourceType": "Consent",
                "id": "consent",
                "status": "active",
                "scope": {"coding": [{"system": c.CONSENT_SCOPE, "code": c.RESEARCH.code}]},
                "category": [{"text": "parental permission"}],
                "dateTime": "2025-01-02",
                "performer": [{"display": "parents"}],
                "policyRule": {"text": "consent form version ICF v2.0"},
            },
            {
                "resourceType": "ResearchStudy",
                "id": "study",
                "status": "active",
                "identifier": [{"system": c.PROTOCOL_ID_SYSTEM, "value": "NCT06516679|2026.12.1"}],
            },
            {
                "resourceType": "ResearchSubject",
                "id": "subject",
                "status": "on-study",
                "period": {"start": "2025-01-03"},
                "study": {"reference": "ResearchStudy/study"},
                "individual": {"reference": "Patient/a1b2c3"},
            },
        )

    def test_an_export_bundle_reads_back(self) -> None:
        """Study id, CNS status, KMT2A variant, MRD, consent and study entry are read from the export."""
        result = import_bundle(
            self.export_bundle(), today=TODAY, source="export.json", protocol_id="NCT06516679"
        )
        record = result.record
        assert record.patient.study_id == "INF-01"
        assert record.cns_status is CNSStatus.CNS1
        assert record.genetics is not None
        assert record.genetics.kmt2a is not None
        assert (record.genetics.kmt2a.status, record.genetics.kmt2a.partner) == (
            KMT2AStatus.REARRANGED,
            "AFF1",
        )
        [mrd] = record.mrd
        assert (mrd.value_fraction, mrd.sensitivity_fraction, mrd.time_point.value) == (
            0.0,
            1e-5,
            "after consolidation 1",
        )
        assert record.consent is not None
        assert (record.consent.given_by.value, record.consent.form_version) == ("parents", "ICF v2.0")
        assert record.study_entry_date == dt.date(2025, 1, 3)

    def test_the_exports_all_codes_leave_the_lineage_unknown(self) -> None:
        """SNOMED CT 91857003 and ICD-10 C91.0 say ALL, not B or T: the WHO type stays unknown."""
        result = import_bundle(self.export_bundle(), today=TODAY, source="export.json")
        assert result.record.diagnosis is not None
        assert result.record.diagnosis.who_type is None
        assert "without B or T lineage" in unknown_reasons(result)["diagnosis.who_type"]

    def test_a_data_absent_reason_is_reported(self) -> None:
        """An observation with dataAbsentReason is ignored with the reason's code."""
        result = import_bundle(self.export_bundle(), today=TODAY, source="export.json")
        assert any(i.reason == "no value (dataAbsentReason not-performed)" for i in result.report.ignored)
