"""Matching each biomarker kind against record fields, without guessing."""

from __future__ import annotations

from typing import Any

import pytest

from knowledge.builders import AS_OF, record
from remission.knowledge import BiomarkerCall, match_biomarker
from remission.knowledge.model import (
    CopyNumberBiomarker,
    FusionBiomarker,
    MutationBiomarker,
    PhLikeBiomarker,
    RearrangementBiomarker,
    RecordFinding,
    SurfaceAntigenBiomarker,
)
from remission.rules.evaluation import EvaluationContext, reference_dates
from remission.rules.expressions import FieldTest

PH_POSITIVE = RecordFinding(
    label="Ph positive", present_when=FieldTest(field="genetics.ph_status", equals="positive")
)
BCR_ABL1 = FusionBiomarker(kind="fusion", fusion="BCR::ABL1", also_shown_by=[PH_POSITIVE])
KMT2A_R = RearrangementBiomarker(
    kind="rearrangement",
    genes=["KMT2A"],
    label="KMT2A rearrangement",
    also_shown_by=[
        RecordFinding(
            label="KMT2A rearranged",
            present_when=FieldTest(field="genetics.kmt2a.status", equals="rearranged"),
        )
    ],
)


def call(biomarker: Any, **sections: Any) -> BiomarkerCall:
    patient = record({"patient": {"study_id": "BM-1"}, **sections})
    ctx = EvaluationContext(patient, {}, reference_dates(patient, as_of=AS_OF))
    return match_biomarker(biomarker, ctx).call


class TestFusion:
    def test_listed_fusion_is_present(self) -> None:
        """The fusion in genetics.fusions is present."""
        assert call(BCR_ABL1, genetics={"fusions": ["BCR::ABL1"]}) is BiomarkerCall.PRESENT

    def test_ph_status_alone_shows_the_fusion(self) -> None:
        """Ph-positive without a fusion list shows BCR::ABL1."""
        assert call(BCR_ABL1, genetics={"ph_status": "positive"}) is BiomarkerCall.PRESENT

    def test_reversed_fusion_is_not_the_fusion(self) -> None:
        """ABL1::BCR is not BCR::ABL1 (5' and 3' partners are ordered)."""
        assert call(BCR_ABL1, genetics={"fusions": ["ABL1::BCR"]}) is BiomarkerCall.ABSENT

    def test_empty_list_is_tested_negative(self) -> None:
        """``fusions: []`` means tested and none found: absent."""
        assert call(BCR_ABL1, genetics={"fusions": []}) is BiomarkerCall.ABSENT

    def test_unrecorded_is_unknown(self) -> None:
        """Without fusions or Ph status the biomarker is unknown."""
        assert call(BCR_ABL1, genetics={}) is BiomarkerCall.UNKNOWN

    def test_disagreeing_fields_conflict(self) -> None:
        """Ph-positive with a tested-negative fusion list is conflicting, not a guess either way."""
        assert call(BCR_ABL1, genetics={"fusions": [], "ph_status": "positive"}) is BiomarkerCall.CONFLICTING


class TestRearrangement:
    @pytest.mark.parametrize("fusion", ["KMT2A::AFF1", "MLLT3::KMT2A"])
    def test_gene_on_either_side_matches(self, fusion: str) -> None:
        """A fusion with the gene as 5' or 3' partner is a rearrangement of the gene."""
        assert call(KMT2A_R, genetics={"fusions": [fusion]}) is BiomarkerCall.PRESENT

    def test_status_alone_shows_the_rearrangement(self) -> None:
        """KMT2A status rearranged without a partner is present."""
        assert call(KMT2A_R, genetics={"kmt2a": {"status": "rearranged"}}) is BiomarkerCall.PRESENT

    def test_germline_status_is_absent(self) -> None:
        """KMT2A germline is absent even without a fusion list."""
        assert call(KMT2A_R, genetics={"kmt2a": {"status": "germline"}}) is BiomarkerCall.ABSENT

    def test_germline_with_kmt2a_fusion_conflicts(self) -> None:
        """A KMT2A fusion with a germline status is conflicting."""
        sections = {"genetics": {"kmt2a": {"status": "germline"}, "fusions": ["KMT2A::AFF1"]}}
        assert call(KMT2A_R, **sections) is BiomarkerCall.CONFLICTING


class TestMutation:
    def test_any_mutation_of_the_gene(self) -> None:
        """Without listed variants any mutation of the gene counts."""
        gene_only = MutationBiomarker(kind="mutation", gene="FLT3")
        assert (
            call(gene_only, genetics={"mutations": [{"gene": "FLT3", "variant": "p.D835Y"}]})
            is BiomarkerCall.PRESENT
        )

    def test_listed_variant_must_match(self) -> None:
        """With listed variants another variant of the gene is absent."""
        biomarker = MutationBiomarker(kind="mutation", gene="FLT3", variants=["p.D835Y"])
        assert (
            call(biomarker, genetics={"mutations": [{"gene": "FLT3", "variant": "p.N676K"}]})
            is BiomarkerCall.ABSENT
        )

    def test_unrecorded_variant_is_unknown(self) -> None:
        """A mutation of the gene without a variant cannot settle a variant list."""
        biomarker = MutationBiomarker(kind="mutation", gene="FLT3", variants=["p.D835Y"])
        assert call(biomarker, genetics={"mutations": [{"gene": "FLT3"}]}) is BiomarkerCall.UNKNOWN

    def test_variant_class_needs_review(self) -> None:
        """A variant class the record cannot show (ITD) leaves a gene match unknown."""
        biomarker = MutationBiomarker(kind="mutation", gene="FLT3", variant_class="ITD")
        assert (
            call(biomarker, genetics={"mutations": [{"gene": "FLT3", "variant": "p.D835Y"}]})
            is BiomarkerCall.UNKNOWN
        )

    def test_other_gene_is_absent(self) -> None:
        """Mutations of other genes only: absent."""
        biomarker = MutationBiomarker(kind="mutation", gene="FLT3")
        assert (
            call(biomarker, genetics={"mutations": [{"gene": "NRAS", "variant": "p.G12D"}]})
            is BiomarkerCall.ABSENT
        )


class TestCopyNumber:
    biomarker = CopyNumberBiomarker(kind="copy_number", gene="IKZF1", change="deletion")

    def test_matching_change_is_present(self) -> None:
        """The gene with the same change is present."""
        changes = [{"gene": "IKZF1", "change": "deletion"}]
        assert call(self.biomarker, genetics={"copy_number_changes": changes}) is BiomarkerCall.PRESENT

    def test_other_direction_is_absent(self) -> None:
        """A gain of the gene is not a deletion."""
        changes = [{"gene": "IKZF1", "change": "gain"}]
        assert call(self.biomarker, genetics={"copy_number_changes": changes}) is BiomarkerCall.ABSENT

    def test_unrecorded_is_unknown(self) -> None:
        """Without copy-number results the change is unknown."""
        assert call(self.biomarker, genetics={"fusions": []}) is BiomarkerCall.UNKNOWN


class TestPhLikeClass:
    biomarker = PhLikeBiomarker(kind="ph_like_class", ph_like_class="JAK-STAT")

    def test_same_class_is_present(self) -> None:
        """The recorded class is the biomarker's class: present."""
        assert call(self.biomarker, genetics={"ph_like_class": "JAK-STAT"}) is BiomarkerCall.PRESENT

    def test_other_class_is_absent(self) -> None:
        """ABL-class is not JAK-STAT."""
        assert call(self.biomarker, genetics={"ph_like_class": "ABL-class"}) is BiomarkerCall.ABSENT


class TestSurfaceAntigen:
    biomarker = SurfaceAntigenBiomarker(kind="surface_antigen", antigen="CD22")

    @pytest.mark.parametrize(
        ("result", "expected"),
        [
            ("positive", BiomarkerCall.PRESENT),
            ("negative", BiomarkerCall.ABSENT),
            ("partial", BiomarkerCall.UNKNOWN),
        ],
    )
    def test_marker_result(self, result: str, expected: BiomarkerCall) -> None:
        """Positive is present, negative absent, partial expression needs review."""
        assert call(self.biomarker, diagnosis={"immunophenotype": {"CD22": result}}) is expected

    def test_marker_not_tested_is_unknown(self) -> None:
        """An immunophenotype without the marker leaves it unknown."""
        assert (
            call(self.biomarker, diagnosis={"immunophenotype": {"CD19": "positive"}}) is BiomarkerCall.UNKNOWN
        )
