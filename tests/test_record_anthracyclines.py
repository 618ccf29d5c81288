"""Cumulative doxorubicin-equivalent anthracycline dose from the versioned conversion table."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pytest

from remission.record.anthracyclines import DoseLine, conversion_factors, known_drugs, running_totals
from remission.yaml12 import load_yaml12


def table() -> dict:
    text = (resources.files("remission.record") / "data" / "anthracycline_equivalence.yaml").read_text(
        "utf-8"
    )
    return load_yaml12(text)


class TestFactors:
    def test_agreed_factors(self):
        """Doxorubicin is the reference (1.0), daunorubicin counts 0.6 and mitoxantrone 10.5."""
        factors = conversion_factors()
        assert (factors["doxorubicin"], factors["daunorubicin"], factors["mitoxantrone"]) == (1.0, 0.6, 10.5)

    def test_drugs_without_agreed_factor(self):
        """Idarubicin and epirubicin are listed without a factor rather than with a guessed one."""
        factors = conversion_factors()
        assert factors["idarubicin"] is None
        assert factors["epirubicin"] is None

    def test_known_drugs_are_sorted_lower_case(self):
        """known_drugs lists every drug of the table, lower case and sorted."""
        assert known_drugs() == ["daunorubicin", "doxorubicin", "epirubicin", "idarubicin", "mitoxantrone"]

    def test_every_drug_cites_a_defined_source(self):
        """Every drug names a source, and every source named has a citation."""
        data = table()
        assert data["version"]
        assert data["drugs"]
        for name, entry in data["drugs"].items():
            assert entry.get("source"), name
            assert entry["source"] in data["sources"], name
            assert data["sources"][entry["source"]]["citation"].strip(), name
            assert "factor" in entry, name


class TestRunningTotals:
    def test_totals_use_the_factors(self):
        """Each dose is converted with its factor and added to the running total."""
        lines = running_totals(
            [
                (date(2025, 1, 3), "daunorubicin", 30.0),
                (date(2025, 1, 10), "doxorubicin", 25.0),
                (date(2025, 2, 1), "mitoxantrone", 10.0),
            ]
        )
        assert [line.doxorubicin_equivalent_mg_per_m2 for line in lines] == pytest.approx([18.0, 25.0, 105.0])
        assert [line.running_total_mg_per_m2 for line in lines] == pytest.approx([18.0, 43.0, 148.0])

    def test_doses_are_put_in_date_order(self):
        """Doses given out of order are totalled in date order, keeping drug and dose together."""
        lines = running_totals(
            [
                (date(2025, 3, 1), "mitoxantrone", 2.0),
                (date(2025, 1, 1), "daunorubicin", 10.0),
                (date(2025, 2, 1), "doxorubicin", 5.0),
            ]
        )
        assert [(line.date, line.drug, line.dose_mg_per_m2) for line in lines] == [
            (date(2025, 1, 1), "daunorubicin", 10.0),
            (date(2025, 2, 1), "doxorubicin", 5.0),
            (date(2025, 3, 1), "mitoxantrone", 2.0),
        ]
        assert [line.running_total_mg_per_m2 for line in lines] == pytest.approx([6.0, 11.0, 32.0])

    def test_drug_without_factor_makes_the_total_unknown_from_then_on(self):
        """An idarubicin dose has no equivalent, and every total from that dose on is None."""
        lines = running_totals(
            [
                (date(2025, 1, 1), "doxorubicin", 30.0),
                (date(2025, 1, 8), "idarubicin", 10.0),
                (date(2025, 1, 15), "daunorubicin", 30.0),
            ]
        )
        assert lines[0] == DoseLine(date(2025, 1, 1), "doxorubicin", 30.0, 30.0, 30.0)
        assert (lines[1].doxorubicin_equivalent_mg_per_m2, lines[1].running_total_mg_per_m2) == (None, None)
        assert lines[2].doxorubicin_equivalent_mg_per_m2 == pytest.approx(18.0)
        assert lines[2].running_total_mg_per_m2 is None

    def test_unknown_drug_raises_key_error(self):
        """A drug missing from the conversion table raises KeyError rather than being skipped."""
        with pytest.raises(KeyError):
            running_totals([(date(2025, 1, 1), "aspirin", 100.0)])

    def test_drug_names_are_case_insensitive(self):
        """Drug names match the table regardless of case, and keep their spelling in the output."""
        (line,) = running_totals([(date(2025, 1, 1), "Daunorubicin", 50.0)])
        assert line.drug == "Daunorubicin"
        assert line.running_total_mg_per_m2 == pytest.approx(30.0)

    def test_no_doses_no_lines(self):
        """No doses give no lines."""
        assert running_totals([]) == []
