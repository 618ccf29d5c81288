"""Tests for remission.record.model: field-level validation of the clinical record."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from remission.record.ages import AgeUnit
from remission.record.model import (
    KMT2A,
    Diagnosis,
    Genetics,
    MRDResult,
    Mutation,
    Patient,
    PatientRecord,
)
from remission.record.vocabulary import KMT2AStatus, Lineage, WhoType


def _mrd(**fields: object) -> MRDResult:
    base: dict[str, object] = {
        "time_point": "end of induction",
        "method": "flow cytometry",
        "sample_date": "2025-03-01",
    }
    return MRDResult.model_validate(base | fields)


def _record(**fields: object) -> PatientRecord:
    return PatientRecord.model_validate({"patient": {"study_id": "P-001"}} | fields)


class TestRecordModel:
    def test_minimal_record(self):
        """A record needs only a patient with a study id; lists default to empty."""
        record = _record()

        assert (record.patient.study_id, record.mrd, record.diagnosis) == ("P-001", [], None)

    def test_extra_field_rejected(self):
        """A field that is not in the schema is an error, not silently dropped."""
        with pytest.raises(ValidationError) as error:
            _record(blood_group="A+")

        assert [item["type"] for item in error.value.errors()] == ["extra_forbidden"]

    def test_extra_nested_field_rejected(self):
        """Unknown fields are rejected in nested models too."""
        with pytest.raises(ValidationError) as error:
            _record(patient={"study_id": "P-001", "name": "Jane"})

        assert error.value.errors()[0]["loc"] == ("patient", "name")

    def test_study_id_must_be_an_identifier(self):
        """A study id with spaces (such as a name) is rejected."""
        with pytest.raises(ValidationError):
            Patient(study_id="Jane Doe")

    def test_records_are_frozen(self):
        """Assigning to a field of a record raises."""
        record = _record()

        with pytest.raises(ValidationError):
            record.prior_hsct = True  # type: ignore[misc]

    def test_nested_models_are_frozen(self):
        """Nested models are immutable as well."""
        record = _record()

        with pytest.raises(ValidationError):
            record.patient.study_id = "P-002"  # type: ignore[misc]

    def test_negative_wbc_rejected(self):
        """A negative white cell count is rejected."""
        with pytest.raises(ValidationError) as error:
            _record(wbc_at_diagnosis_1e9_per_l=-0.1)

        assert error.value.errors()[0]["loc"] == ("wbc_at_diagnosis_1e9_per_l",)

    def test_zero_wbc_accepted(self):
        """A white cell count of zero is a valid value."""
        assert _record(wbc_at_diagnosis_1e9_per_l=0).wbc_at_diagnosis_1e9_per_l == 0.0

    def test_unknown_vocabulary_value_rejected(self):
        """A value outside a controlled vocabulary is rejected."""
        with pytest.raises(ValidationError):
            _record(cns_status="CNS4")

    def test_wrong_schema_version_rejected(self):
        """Only schema version "1" is accepted."""
        with pytest.raises(ValidationError):
            _record(schema_version="2")

    def test_empty_list_differs_from_unrecorded(self):
        """An empty list is kept as a recorded "none", distinct from an absent field."""
        assert (_record(syndromes=[]).syndromes, _record().syndromes) == ([], None)


class TestAgeOn:
    def test_derives_age_from_date_of_birth(self):
        """age_on derives the age in the given unit from the date of birth."""
        record = _record(patient={"study_id": "P-001", "date_of_birth": "2020-05-01"})

        assert record.age_on(date(2025, 5, 1), AgeUnit.YEARS) == 5

    def test_unknown_date_of_birth_gives_none(self):
        """Without a date of birth the age is unknown."""
        assert _record().age_on(date(2025, 5, 1), AgeUnit.YEARS) is None

    def test_unknown_reference_date_gives_none(self):
        """Without the reference date the age is unknown."""
        record = _record(patient={"study_id": "P-001", "date_of_birth": "2020-05-01"})

        assert record.age_on(None, AgeUnit.DAYS) is None

    def test_date_before_birth_gives_none(self):
        """A reference date before birth gives no age instead of raising."""
        record = _record(patient={"study_id": "P-001", "date_of_birth": "2020-05-01"})

        assert record.age_on(date(2020, 4, 30), AgeUnit.DAYS) is None


class TestMRDResult:
    def test_value_above_one_rejected(self):
        """An MRD fraction above 1 is rejected."""
        with pytest.raises(ValidationError) as error:
            _mrd(value_fraction=1.5)

        assert error.value.errors()[0]["loc"] == ("value_fraction",)

    def test_negative_value_rejected(self):
        """A negative MRD fraction is rejected."""
        with pytest.raises(ValidationError) as error:
            _mrd(value_fraction=-0.0001)

        assert error.value.errors()[0]["loc"] == ("value_fraction",)

    @pytest.mark.parametrize("value", [0.0, 1e-4, 1.0])
    def test_value_bounds_inclusive(self, value):
        """0 (not detected) and 1 are valid MRD fractions."""
        assert _mrd(value_fraction=value).value_fraction == value

    def test_value_and_pnq_together_rejected(self):
        """A value and "positive, not quantifiable" together are contradictory."""
        with pytest.raises(ValidationError, match="not both"):
            _mrd(value_fraction=1e-4, positive_not_quantifiable=True)

    def test_neither_value_nor_pnq_rejected(self):
        """A result with neither a value nor "positive, not quantifiable" is rejected."""
        with pytest.raises(ValidationError, match="value_fraction is required"):
            _mrd()

    def test_pnq_alone_accepted(self):
        """ "Positive, not quantifiable" without a value is a valid result."""
        result = _mrd(positive_not_quantifiable=True)

        assert (result.positive_not_quantifiable, result.value_fraction) == (True, None)

    def test_zero_sensitivity_rejected(self):
        """A sensitivity of 0 is impossible and rejected."""
        with pytest.raises(ValidationError):
            _mrd(value_fraction=0.0, sensitivity_fraction=0.0)


class TestDiagnosis:
    def test_lineage_with_alal_accepted(self):
        """An ALAL diagnosis may record its predominant lineage."""
        diagnosis = Diagnosis(who_type=WhoType.ALAL, alal_predominant_lineage=Lineage.MYELOID)

        assert diagnosis.alal_predominant_lineage is Lineage.MYELOID

    def test_lineage_with_unknown_type_accepted(self):
        """A lineage may be recorded while the WHO type is not yet recorded."""
        assert Diagnosis(alal_predominant_lineage="B-lymphoid").who_type is None

    def test_lineage_with_other_type_rejected(self):
        """A predominant lineage is only recorded for ALAL."""
        with pytest.raises(ValidationError, match="only recorded when who_type is ALAL"):
            Diagnosis(who_type="B-ALL", alal_predominant_lineage="B-lymphoid")

    def test_immunophenotype_marker_names_checked(self):
        """Marker names with spaces are rejected."""
        with pytest.raises(ValidationError):
            Diagnosis(immunophenotype={"CD 19": "positive"})

    def test_immunophenotype_accepts_markers(self):
        """Typical marker names such as cyCD3 map to a result."""
        diagnosis = Diagnosis(immunophenotype={"cyCD3": "positive", "CD19": "negative"})

        assert {"cyCD3", "CD19"} == set(diagnosis.immunophenotype or {})


class TestKMT2A:
    def test_partner_when_rearranged_accepted(self):
        """A fusion partner is recorded for a rearranged KMT2A."""
        assert KMT2A(status=KMT2AStatus.REARRANGED, partner="AFF1").partner == "AFF1"

    def test_partner_when_germline_rejected(self):
        """A fusion partner contradicts a germline KMT2A."""
        with pytest.raises(ValidationError, match="only recorded when status is rearranged"):
            KMT2A(status="germline", partner="AFF1")

    def test_partner_without_status_rejected(self):
        """A fusion partner needs the rearranged status to be recorded."""
        with pytest.raises(ValidationError, match="only recorded when status is rearranged"):
            KMT2A(partner="AFF1")

    def test_partner_must_be_a_gene_symbol(self):
        """A lower-case partner is not a gene symbol."""
        with pytest.raises(ValidationError):
            KMT2A(status="rearranged", partner="aff1")


class TestGeneSymbols:
    @pytest.mark.parametrize("symbol", ["KMT2A", "ABL1", "C11orf95", "HLA-A", "NKX2-1"])
    def test_valid_symbols_accepted(self, symbol):
        """HGNC-style symbols, including CnnorfNN and hyphenated ones, are accepted."""
        assert Mutation(gene=symbol).gene == symbol

    @pytest.mark.parametrize("symbol", ["kmt2a", "1ABL", "KMT2A ", "", "FLT3-", "C11ORF95x"])
    def test_invalid_symbols_rejected(self, symbol):
        """Lower case, a leading digit, spaces, dangling hyphens and empty strings are rejected."""
        with pytest.raises(ValidationError):
            Mutation(gene=symbol)


class TestFusionNames:
    @pytest.mark.parametrize("fusion", ["KMT2A::AFF1", "BCR::ABL1", "ZFTA::RELA", "C11orf95::RELA"])
    def test_valid_fusions_accepted(self, fusion):
        """Fusions in HGNC GENE1::GENE2 notation are accepted."""
        assert Genetics(fusions=[fusion]).fusions == [fusion]

    @pytest.mark.parametrize(
        "fusion", ["kmt2a::aff1", "KMT2A-AFF1", "KMT2A::", "::AFF1", "KMT2A:AFF1", "KMT2A/AFF1", "KMT2A"]
    )
    def test_invalid_fusions_rejected(self, fusion):
        """Lower case, hyphen or slash notation and half fusions are rejected."""
        with pytest.raises(ValidationError) as error:
            Genetics(fusions=[fusion])

        assert error.value.errors()[0]["loc"] == ("fusions", 0)

    def test_empty_fusion_list_accepted(self):
        """An empty list records that no fusion was found."""
        assert Genetics(fusions=[]).fusions == []


class TestStrictClinicalValues:
    @pytest.mark.parametrize("value", ["yes", "no", 0, 1])
    def test_booleans_are_not_coerced(self, value):
        """A yes/no field takes only true or false, never "yes" or 0."""
        with pytest.raises(ValidationError):
            _record(prior_hsct=value)

    def test_numbers_are_not_read_from_text(self):
        """A count given as text is refused rather than converted."""
        with pytest.raises(ValidationError):
            _record(wbc_at_diagnosis_1e9_per_l="12.4")

    def test_whole_numbers_are_accepted_as_counts(self):
        """A whole number is a valid count."""
        assert _record(wbc_at_diagnosis_1e9_per_l=12).wbc_at_diagnosis_1e9_per_l == 12.0
