"""The FHIR import of a Bundle: bad input is refused naming the element; the examples read back."""

from __future__ import annotations

import json

import pytest
from tests.interop.fhir_bundles import (
    REPO,
    TODAY,
    bundle,
    imported,
    patient,
    problems,
)

from remission.errors import InputError
from remission.interop.fhir_import import import_bundle, is_fhir_bundle
from remission.record import PatientRecord, parse_record


class TestBadInput:
    def test_an_r5_resource_type_is_refused_as_r5(self) -> None:
        """An R5-only resource type names the entry and says only R4/R4B are read."""
        with pytest.raises(InputError) as error:
            imported(patient(), {"resourceType": "Transport", "status": "completed", "intent": "order"})
        assert problems(error) == [
            "Bundle.entry[1].resource.resourceType: 'Transport' is an R5 resource type; only FHIR R4 and R4B "
            "bundles are read"
        ]

    def test_an_unknown_resource_type_is_refused(self) -> None:
        """A resource type FHIR does not define is named."""
        with pytest.raises(InputError) as error:
            imported(patient(), {"resourceType": "LeukemiaThing"})
        assert "'LeukemiaThing' unknown resource type" in problems(error)[0]

    def test_an_r5_element_is_named(self) -> None:
        """Bundle.issues exists only in R5: the parse names it."""
        data = bundle(patient())
        data["issues"] = {"resourceType": "OperationOutcome", "issue": []}
        with pytest.raises(InputError) as error:
            import_bundle(data, today=TODAY, source="x.json")
        assert problems(error) == [
            "Bundle.issues: not an element of FHIR R4/R4B (an R5 element, or a misspelling)"
        ]

    def test_a_malformed_element_names_resource_and_element(self) -> None:
        """A birth date with month 13 names Patient/P-01.birthDate."""
        with pytest.raises(InputError) as error:
            imported(patient(birthDate="2024-13-01"))
        assert problems(error)[0].startswith("Patient/P-01.birthDate:")

    @pytest.mark.parametrize("version", ["4.0.1", "4.3.0"])
    def test_r4_and_r4b_profiles_are_accepted(self, version: str) -> None:
        """A versioned core profile of R4 (4.0.1) or R4B (4.3.0) is read."""
        result = import_bundle(bundle(patient(), profile_version=version), today=TODAY, source="x.json")
        assert result.record.patient.study_id == "P-01"

    def test_an_r5_profile_is_refused(self) -> None:
        """A core profile versioned 5.0.0 names the element and the version."""
        with pytest.raises(InputError) as error:
            import_bundle(bundle(patient(), profile_version="5.0.0"), today=TODAY, source="x.json")
        assert "Patient (entry[0]).meta.profile" in problems(error)[0]
        assert "names FHIR 5.0.0" in problems(error)[0]

    def test_a_future_date_names_the_resource_it_came_from(self) -> None:
        """The record's own checks still apply, and say which element the bad value came from."""
        with pytest.raises(InputError) as error:
            imported(patient(birthDate="2030-01-01"))
        assert problems(error)[0].startswith("Patient/P-01.birthDate (patient.date_of_birth)")

    def test_is_fhir_bundle_reads_the_resource_type(self) -> None:
        """Only JSON saying resourceType Bundle is a bundle; a record is not."""
        assert is_fhir_bundle({"resourceType": "Bundle"})
        assert not is_fhir_bundle({"patient": {"study_id": "X"}})


class TestExamples:
    def test_the_eligible_example_reads_back_as_the_hand_written_record(self) -> None:
        """The eligible bundle gives the same record as writing its values by hand."""
        data = json.loads((REPO / "examples/fhir/eligible.json").read_text())
        result = import_bundle(data, today=TODAY, source="eligible.json", protocol_id="NCT06516679")
        by_hand: PatientRecord = parse_record(
            {
                "patient": {"study_id": "INF-F01", "sex": "female", "date_of_birth": "2024-03-10"},
                "diagnosis": {"date": "2024-11-04", "who_type": "B-ALL"},
                "genetics": {"kmt2a": {"status": "rearranged", "partner": "AFF1", "method": "FISH"}},
                "wbc_at_diagnosis_1e9_per_l": 24.6,
                "cns_status": "CNS1",
                "syndromes": [],
                "prior_steroids": [],
                "prior_hsct": False,
                "relapse_status": "never relapsed",
                "consent": {"given_by": "parents", "date": "2024-11-06", "form_version": "ICF v2.0"},
                "other_studies": [],
                "study_entry_date": "2024-11-07",
                "attestations": [
                    {
                        "protocol_id": "NCT06516679",
                        "criterion_id": "excl-contraindication",
                        "outcome": "not met",
                        "attested_by": "Lee Seo-yeon",
                        "date": "2024-11-07",
                    }
                ],
            },
            today=TODAY,
        )
        assert result.record == by_hand
        assert result.report.unknown == ()
