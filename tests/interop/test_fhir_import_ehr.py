"""The FHIR import of the resources an EHR sends: each is mapped to record fields; nothing is guessed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.interop.fhir_bundles import (
    RECORD_FIELD,
    UCUM,
    imported,
    leukemia,
    patient,
    problems,
    record_field,
    unknown_reasons,
    wbc,
)

from remission.errors import InputError
from remission.record.vocabulary import CNSStatus, KMT2AStatus, Sex


class TestPatient:
    def test_sex_birth_date_and_study_id_are_read_from_patient(self) -> None:
        """Patient.gender, birthDate and id become sex, date of birth and the study id."""
        result = imported(patient())
        assert result.record.patient.sex is Sex.MALE
        assert result.record.patient.date_of_birth == dt.date(2024, 2, 1)
        assert result.record.patient.study_id == "P-01"
        assert ("patient.sex", "Patient/P-01.gender") in {(i.field, i.element) for i in result.report.read}

    def test_a_partial_birth_date_stays_unknown(self) -> None:
        """A birth month without a day is not a date of birth: unknown, with the reason."""
        result = imported(patient(birthDate="2024-02"))
        assert result.record.patient.date_of_birth is None
        assert "not a full date" in unknown_reasons(result)["patient.date_of_birth"]

    def test_gender_unknown_leaves_sex_unknown(self) -> None:
        """Administrative gender 'unknown' is no sex the record holds."""
        result = imported(patient(gender="unknown"))
        assert result.record.patient.sex is None
        assert "'unknown'" in unknown_reasons(result)["patient.sex"]

    def test_names_are_never_copied(self) -> None:
        """Identifying elements are reported as ignored, not read."""
        result = imported(patient(name=[{"family": "Kim"}]))
        assert "Kim" not in result.record.model_dump_json()
        assert any(item.element == "Patient/P-01.name" for item in result.report.ignored)

    def test_a_bundle_needs_exactly_one_patient(self) -> None:
        """Two patients in one bundle are refused: whose record would it be?"""
        with pytest.raises(InputError) as error:
            imported(patient(), patient(id="P-02"))
        assert problems(error) == ["Bundle.entry: holds 2 Patient resources, not 1"]


class TestCondition:
    def test_ncit_b_all_sets_who_type_and_diagnosis_date(self) -> None:
        """NCIt C8644 is B-ALL; the Condition's onset date is the diagnosis date."""
        result = imported(patient(), leukemia())
        assert result.record.diagnosis is not None
        assert result.record.diagnosis.who_type.value == "B-ALL"
        assert result.record.diagnosis.date == dt.date(2024, 10, 1)

    def test_icd10_all_without_lineage_leaves_who_type_unknown(self) -> None:
        """ICD-10-CM C91.00 says ALL but not B or T: the WHO type stays unknown, with the reason."""
        result = imported(patient(), leukemia("C91.00", "http://hl7.org/fhir/sid/icd-10-cm"))
        assert result.record.diagnosis is not None
        assert result.record.diagnosis.who_type is None
        assert "without B or T lineage" in unknown_reasons(result)["diagnosis.who_type"]

    def test_a_refuted_condition_is_not_read(self) -> None:
        """A ruled-out diagnosis is ignored, not read."""
        refuted = {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "refuted"}
            ]
        }
        result = imported(patient(), leukemia(verificationStatus=refuted))
        assert result.record.diagnosis is None
        assert any("refuted" in item.reason for item in result.report.ignored)

    def test_two_conflicting_diagnoses_stay_unknown(self) -> None:
        """B-ALL from one Condition and T-ALL from another leave the WHO type unknown."""
        result = imported(patient(), leukemia(), leukemia("C3183"))
        assert result.record.diagnosis is not None
        assert result.record.diagnosis.who_type is None
        assert unknown_reasons(result)["diagnosis.who_type"].startswith("conflicting values")


class TestWbc:
    @pytest.mark.parametrize(
        ("value", "unit", "expected"),
        [
            (24600, "/uL", 24.6),
            (24.6, "10*3/uL", 24.6),
            (24.6, "10*9/L", 24.6),
            (312000, "/mm3", 312.0),
            (1500, "10*6/L", 1.5),
            (7.0e9, "/L", 7.0),
        ],
    )
    def test_units_are_converted_to_1e9_per_l(self, value: float, unit: str, expected: float) -> None:
        """A WBC count is converted exactly to ×10⁹/L from each UCUM unit the import knows."""
        result = imported(patient(), leukemia(), wbc(value, unit))
        assert result.record.wbc_at_diagnosis_1e9_per_l == expected

    def test_an_unknown_unit_is_an_error_naming_resource_and_element(self) -> None:
        """cells/uL is not UCUM: the import refuses it rather than copy the number."""
        with pytest.raises(InputError) as error:
            imported(patient(), leukemia(), wbc(24600, "cells/uL"))
        assert problems(error)[0].startswith("Observation/wbc.valueQuantity.code: WBC unit 'cells/uL'")

    def test_two_different_counts_on_the_diagnosis_date_stay_unknown(self) -> None:
        """Two counts that disagree on the day of diagnosis leave the WBC unknown, both named."""
        result = imported(
            patient(),
            leukemia(),
            wbc(152, "10*3/uL", ident="a"),
            wbc(148000, "/uL", ident="b", loinc="26464-8"),
        )
        assert result.record.wbc_at_diagnosis_1e9_per_l is None
        reason = unknown_reasons(result)["wbc_at_diagnosis_1e9_per_l"]
        assert "Observation/a.valueQuantity" in reason
        assert "Observation/b.valueQuantity" in reason

    def test_equal_counts_in_different_units_agree(self) -> None:
        """24 600 /uL and 24.6 ×10³/uL on the same day are one value."""
        result = imported(
            patient(), leukemia(), wbc(24600, "/uL", ident="a"), wbc(24.6, "10*3/uL", ident="b")
        )
        assert result.record.wbc_at_diagnosis_1e9_per_l == 24.6

    def test_a_count_on_another_day_is_ignored(self) -> None:
        """Only a count dated the diagnosis date is the WBC at diagnosis."""
        result = imported(patient(), leukemia(), wbc(3.1, "10*3/uL", on="2024-10-20"))
        assert result.record.wbc_at_diagnosis_1e9_per_l is None
        assert (
            "no WBC count dated the diagnosis date" in unknown_reasons(result)["wbc_at_diagnosis_1e9_per_l"]
        )

    def test_without_a_diagnosis_date_no_count_is_chosen(self) -> None:
        """With the diagnosis date unknown, no count can be called the one at diagnosis."""
        result = imported(patient(), wbc(24.6, "10*9/L"))
        assert result.record.wbc_at_diagnosis_1e9_per_l is None
        assert "diagnosis date is unknown" in unknown_reasons(result)["wbc_at_diagnosis_1e9_per_l"]


class TestRecordFieldObservations:
    def test_cns_status_and_kmt2a_fusion(self) -> None:
        """CNS status, KMT2A status, partner and method are read from remission's record-field codes."""
        partner = {
            "code": {"coding": [{"system": RECORD_FIELD, "code": "genetics.kmt2a.partner"}]},
            "valueString": "AFF1",
        }
        result = imported(
            patient(),
            record_field("cns_status", valueString="CNS3"),
            record_field(
                "genetics.kmt2a.status",
                valueString="rearranged",
                method={"text": "RNA-seq"},
                component=[partner],
            ),
        )
        assert result.record.cns_status is CNSStatus.CNS3
        assert result.record.genetics is not None
        assert result.record.genetics.kmt2a is not None
        assert result.record.genetics.kmt2a.status is KMT2AStatus.REARRANGED
        assert (result.record.genetics.kmt2a.partner, result.record.genetics.kmt2a.method) == (
            "AFF1",
            "RNA-seq",
        )

    def test_a_value_outside_the_vocabulary_is_an_error(self) -> None:
        """CNS4 is no CNS status: an error naming the element and the allowed values."""
        with pytest.raises(InputError) as error:
            imported(patient(), record_field("cns_status", valueString="CNS4"))
        assert problems(error)[0].startswith(
            "Observation/cns-status.valueString: 'CNS4' is not one of 'CNS1'"
        )

    def test_mrd_in_percent_becomes_a_fraction(self) -> None:
        """MRD 0.02 % with sensitivity 0.001 % becomes 2×10⁻⁴ with sensitivity 10⁻⁵."""
        point = {
            "code": {"coding": [{"system": RECORD_FIELD, "code": "mrd.time_point"}]},
            "valueString": "after consolidation 1",
        }
        limit = {
            "code": {"coding": [{"system": RECORD_FIELD, "code": "mrd.sensitivity"}]},
            "valueQuantity": {"value": 0.001, "system": UCUM, "code": "%"},
        }
        result = imported(
            patient(),
            record_field(
                "mrd",
                method={"text": "IG/TR RQ-PCR"},
                effectiveDateTime="2025-01-10",
                valueQuantity={"value": 0.02, "system": UCUM, "code": "%"},
                component=[point, limit],
            ),
        )
        [mrd] = result.record.mrd
        assert mrd.value_fraction == pytest.approx(2e-4, rel=1e-12)
        assert mrd.sensitivity_fraction == pytest.approx(1e-5, rel=1e-12)
        assert (mrd.time_point.value, mrd.method.value, mrd.sample_date) == (
            "after consolidation 1",
            "IG/TR RQ-PCR",
            dt.date(2025, 1, 10),
        )

    def test_none_and_a_syndrome_together_stay_unknown(self) -> None:
        """'No syndrome' and 'Down syndrome' in one bundle contradict: syndromes stay unknown."""
        result = imported(
            patient(),
            record_field("syndromes.none", valueBoolean=True),
            record_field("syndromes", valueString="Down syndrome"),
        )
        assert result.record.syndromes is None
        assert unknown_reasons(result)["syndromes"].startswith("conflicting")

    def test_an_unrecognised_observation_is_ignored_with_its_coding(self) -> None:
        """A haemoglobin is reported as ignored, naming its code."""
        hb = {
            "resourceType": "Observation",
            "id": "hb",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
        }
        result = imported(patient(), hb)
        assert any("http://loinc.org|718-7" in item.reason for item in result.report.ignored)


class TestConsentAndStudyEntry:
    def consent(self, *relations: str, title: str | None = "ICF v2.0") -> list[dict[str, Any]]:
        people = [
            {
                "resourceType": "RelatedPerson",
                "id": f"rp{i}",
                "patient": {"reference": "Patient/P-01"},
                "relationship": [
                    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": r}]}
                ],
            }
            for i, r in enumerate(relations)
        ]
        consent = {
            "resourceType": "Consent",
            "id": "c1",
            "status": "active",
            "scope": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "research"}
                ]
            },
            "category": [{"text": "research"}],
            "dateTime": "2024-10-03",
            "performer": [{"reference": f"RelatedPerson/rp{i}"} for i in range(len(relations))],
        }
        if title:
            consent["sourceAttachment"] = {"title": title}
        return [*people, consent]

    @pytest.mark.parametrize(
        ("relations", "given_by"),
        [(("MTH", "FTH"), "parents"), (("MTH",), "parent"), (("GUARD",), "guardian")],
    )
    def test_who_consented_comes_from_the_related_persons(
        self, relations: tuple[str, ...], given_by: str
    ) -> None:
        """Mother and father are the parents; one parent is a parent; GUARD is a guardian."""
        result = imported(patient(), *self.consent(*relations))
        assert result.record.consent is not None
        assert (result.record.consent.given_by.value, result.record.consent.date) == (
            given_by,
            dt.date(2024, 10, 3),
        )

    def test_a_consent_without_form_version_stays_unknown(self) -> None:
        """The record needs the form version: without it the consent is unknown, not invented."""
        result = imported(patient(), *self.consent("MTH", title=None))
        assert result.record.consent is None
        assert "form version" in unknown_reasons(result)["consent"]

    def test_study_entry_is_read_only_for_the_screened_study(self) -> None:
        """The ResearchSubject of NCT06516679 gives the entry date; another study's is ignored."""
        studies = [
            {
                "resourceType": "ResearchStudy",
                "id": "s1",
                "status": "active",
                "identifier": [{"value": "NCT06516679"}],
            },
            {
                "resourceType": "ResearchStudy",
                "id": "s2",
                "status": "active",
                "identifier": [{"value": "NCT00000001"}],
            },
        ]
        subjects = [
            {
                "resourceType": "ResearchSubject",
                "id": f"rs{i}",
                "status": "on-study",
                "period": {"start": start},
                "study": {"reference": f"ResearchStudy/s{i}"},
                "individual": {"reference": "Patient/P-01"},
            }
            for i, start in ((1, "2024-10-04"), (2, "2024-09-01"))
        ]
        result = imported(patient(), *studies, *subjects)
        assert result.record.study_entry_date == dt.date(2024, 10, 4)
        assert any(item.element == "ResearchSubject/rs2" for item in result.report.ignored)
