"""Which finding matched a trial's biomarker, and when the record cannot say."""

from __future__ import annotations

from typing import Any

import pytest

from remission.rules.truth import Truth
from remission.trials import Biomarker, match_biomarker
from support.records import make_record, parse


def biomarker(**fields: Any) -> Biomarker:
    return Biomarker.model_validate({"id": "b", "role": "test", "source": "s", **fields})


def read(genetics: Any = None, **overrides: Any):
    if genetics is not None:
        overrides["genetics"] = genetics
    return parse(make_record(**overrides))


class TestRearrangement:
    def test_kmt2a_rearranged_with_a_partner_names_the_fusion(self) -> None:
        """KMT2A rearranged with partner MLLT3 matches as KMT2A::MLLT3."""
        result = match_biomarker(
            read({"kmt2a": {"status": "rearranged", "partner": "MLLT3"}}),
            biomarker(kind="rearrangement", gene="KMT2A"),
        )
        assert (result.status, result.finding) == (Truth.MET, "KMT2A::MLLT3")

    def test_kmt2a_rearranged_without_a_partner_says_so(self) -> None:
        """A rearrangement without a recorded partner still matches, and says the partner is missing."""
        result = match_biomarker(
            read({"kmt2a": {"status": "rearranged"}}), biomarker(kind="rearrangement", gene="KMT2A")
        )
        assert (result.status, result.finding) == (Truth.MET, "KMT2A rearranged, partner not recorded")

    def test_a_gene_in_a_recorded_fusion_matches_a_rearrangement(self) -> None:
        """A fusion list holding ETV6::RUNX1 matches a RUNX1 rearrangement."""
        result = match_biomarker(
            read({"fusions": ["ETV6::RUNX1"]}), biomarker(kind="rearrangement", gene="RUNX1")
        )
        assert (result.status, result.finding) == (Truth.MET, "ETV6::RUNX1")

    def test_germline_kmt2a_does_not_match(self) -> None:
        """KMT2A germline is a tested, negative finding."""
        result = match_biomarker(read(), biomarker(kind="rearrangement", gene="KMT2A"))
        assert result.status is Truth.NOT_MET

    def test_no_fusion_testing_is_unknown(self) -> None:
        """Without a fusions list the record cannot say whether NUP98 is rearranged."""
        result = match_biomarker(read(), biomarker(kind="rearrangement", gene="NUP98"))
        assert result.status is Truth.UNKNOWN


class TestFusionMutationAntigen:
    def test_ph_positive_matches_bcr_abl1(self) -> None:
        """ph_status positive is the BCR::ABL1 fusion."""
        result = match_biomarker(
            read({"ph_status": "positive"}), biomarker(kind="fusion", fusion="BCR::ABL1")
        )
        assert (result.status, result.finding) == (Truth.MET, "Philadelphia chromosome positive")

    def test_a_recorded_fusion_matches_exactly(self) -> None:
        """A fusion in the list matches the same fusion."""
        result = match_biomarker(
            read({"fusions": ["NUP98::NSD1"]}), biomarker(kind="fusion", fusion="NUP98::NSD1")
        )
        assert result.status is Truth.MET

    def test_a_mutation_reports_its_variant(self) -> None:
        """An NPM1 mutation matches with its HGVS change."""
        record = read({"mutations": [{"gene": "NPM1", "variant": "p.W288fs"}]})
        result = match_biomarker(record, biomarker(kind="mutation", gene="NPM1"))
        assert (result.status, result.finding) == (Truth.MET, "NPM1 p.W288fs")

    @pytest.mark.parametrize(
        ("phenotype", "expected"),
        [
            ({"CD19": "positive"}, Truth.MET),
            ({"CD19": "partial"}, Truth.MET),
            ({"CD19": "negative"}, Truth.NOT_MET),
            ({"CD22": "positive"}, Truth.UNKNOWN),
        ],
    )
    def test_antigen_expression_reads_the_immunophenotype(
        self, phenotype: dict[str, str], expected: Truth
    ) -> None:
        """CD19 positive or partial matches, negative does not, unrecorded is unknown."""
        record = read(diagnosis={"immunophenotype": phenotype})
        assert match_biomarker(record, biomarker(kind="antigen", marker="CD19")).status is expected

    def test_a_biomarker_needs_the_field_of_its_kind(self) -> None:
        """A fusion biomarker without 'fusion' is refused by the model."""
        with pytest.raises(ValueError, match="a fusion biomarker gives fusion"):
            biomarker(kind="fusion", gene="KMT2A")
