"""Matching AUGMENT-101 (NCT04065399): age in days at entry, genetics, and what stays for a person."""

from __future__ import annotations

from typing import Any

from remission.protocols.results import Verdict
from remission.rules.truth import Truth
from remission.trials import load_shipped_trial, match_trial
from support.records import DROP, TODAY, make_record, parse

TRIAL = load_shipped_trial("NCT04065399")
KMT2A_R = {"kmt2a": {"status": "rearranged", "partner": "MLLT3"}}


def match(**overrides: Any):
    overrides.setdefault("genetics", KMT2A_R)
    return match_trial(parse(make_record(**overrides)), TRIAL, as_of=TODAY)


def newborn(date_of_birth: str) -> dict[str, Any]:
    """Overrides for a child born ``date_of_birth``, diagnosed 2026-11-01, with no later-dated items."""
    return {
        "patient": {"date_of_birth": date_of_birth},
        "diagnosis": {"date": "2026-11-01"},
        "consent": DROP,
        "study_entry_date": DROP,
        "mrd": [],
        "attestations": [],
    }


def status(result, criterion_id: str) -> Truth:
    return next(c.status for c in result.screening.criteria if c.id == criterion_id)


class TestAge:
    def test_thirty_days_old_on_the_matching_date_meets_the_age_limit(self) -> None:
        """A child of exactly 30 completed days on the matching date meets 'age ≥30 days'."""
        result = match(**newborn("2026-10-22"))
        assert status(result, "incl-age") is Truth.MET
        assert result.verdict is Verdict.NEEDS_REVIEW

    def test_twenty_nine_days_old_is_not_eligible(self) -> None:
        """A child of 29 completed days fails the age inclusion."""
        result = match(**newborn("2026-10-23"))
        assert [c.id for c in result.failing] == ["incl-age"]


class TestGenetics:
    def test_kmt2a_germline_b_all_is_not_eligible(self) -> None:
        """Neither KMT2A-rearranged nor AML with NPM1: the genetic inclusion fails."""
        result = match(genetics={"kmt2a": {"status": "germline"}})
        assert [c.id for c in result.failing] == ["incl-genetics"]

    def test_aml_with_an_npm1_mutation_meets_the_genetic_inclusion(self) -> None:
        """AML with NPM1 mutated meets the genetic part even with KMT2A germline."""
        result = match(
            diagnosis={"who_type": "AML"},
            genetics={
                "kmt2a": {"status": "germline"},
                "mutations": [{"gene": "NPM1", "variant": "p.W288fs"}],
            },
        )
        assert status(result, "incl-genetics") is Truth.MET
        assert [(b.id, b.finding) for b in result.matched_biomarkers] == [("npm1", "NPM1 p.W288fs")]

    def test_unknown_kmt2a_status_leaves_the_genetics_unknown(self) -> None:
        """With no KMT2A result and B-ALL, the genetic criterion is unknown, naming the KMT2A field."""
        result = match(genetics={"kmt2a": DROP})
        unknown = next(c for c in result.unknowns if c.id == "incl-genetics")
        assert unknown.missing == ("genetics.kmt2a.status",)


class TestPersonDecides:
    def test_relapse_and_disease_activity_and_exclusions_wait_for_a_person(self) -> None:
        """A KMT2A-r child is never eligible from the record alone: three criteria stay unknown."""
        result = match()
        assert result.verdict is Verdict.NEEDS_REVIEW
        assert {c.id for c in result.unknowns} == {
            "incl-relapsed-refractory",
            "incl-active-disease",
            "excl-registry-exclusions",
        }
