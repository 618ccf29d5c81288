"""Gene symbols and fusion notation in a child's record."""

from __future__ import annotations

import pytest

from remission.errors import InputError
from remission.trials import record_from_data, record_gene_warnings, record_notation_problems
from support.records import TODAY, make_record


class TestRecordGenetics:
    def test_a_fusion_in_the_wrong_notation_is_named_with_the_expected_form(self) -> None:
        """'KMT2A-AFF1' is reported at genetics.fusions[0] with the GENE1::GENE2 notation."""
        [problem] = record_notation_problems(make_record(genetics={"fusions": ["KMT2A-AFF1"]}))
        assert problem.field == "genetics.fusions[0]"
        assert "not a fusion in HGNC notation GENE1::GENE2, e.g. KMT2A::AFF1" in problem.problem

    def test_a_malformed_partner_symbol_is_named(self) -> None:
        """A lower-case partner is not a gene symbol."""
        data = make_record(genetics={"kmt2a": {"status": "rearranged", "partner": "aff1"}})
        assert [p.field for p in record_notation_problems(data)] == ["genetics.kmt2a.partner"]

    def test_reading_such_a_record_is_an_input_error(self) -> None:
        """The record reader refuses it before the model's own checks."""
        with pytest.raises(InputError, match="GENE1::GENE2"):
            record_from_data(make_record(genetics={"fusions": ["KMT2A:AFF1"]}), today=TODAY, source="child")

    def test_an_unknown_symbol_is_a_warning_naming_the_field(self) -> None:
        """A well-formed symbol outside the gene list is reported, not refused."""
        data = make_record(genetics={"fusions": ["KMT2A::AFF9"]})
        assert record_notation_problems(data) == []
        [warning] = record_gene_warnings(data)
        assert warning.startswith("genetics.fusions[0]: gene 'AFF9' is not in remission's gene list")

    def test_known_symbols_give_no_warning(self) -> None:
        """KMT2A::AFF1 and NPM1 are in the list."""
        data = make_record(genetics={"fusions": ["KMT2A::AFF1"], "mutations": [{"gene": "NPM1"}]})
        assert record_gene_warnings(data) == []
