"""Matching Interfant-21 (NCT05327894): curated criteria, boundaries, unknowns and attestations."""

from __future__ import annotations

from typing import Any

from remission.protocols.results import Verdict
from remission.rules.truth import Truth
from remission.trials import load_shipped_trial, match_trial
from support.records import DROP, TODAY, make_record, parse

TRIAL = load_shipped_trial("NCT05327894")
KMT2A_R = {"kmt2a": {"status": "rearranged", "partner": "AFF1", "method": "FISH"}}
TO_DECIDE = {"incl-diagnosis-who-2017", "incl-consent", "excl-prior-therapy"}


def attest(criterion_id: str, outcome: str) -> dict[str, Any]:
    return {
        "protocol_id": "NCT05327894",
        "criterion_id": criterion_id,
        "outcome": outcome,
        "attested_by": "Dr. Test Example",
        "date": "2026-06-04",
    }


def match(**overrides: Any):
    overrides.setdefault("genetics", KMT2A_R)
    return match_trial(parse(make_record(**overrides)), TRIAL, as_of=TODAY)


def status(result, criterion_id: str) -> Truth:
    return next(c.status for c in result.screening.criteria if c.id == criterion_id)


class TestVerdicts:
    def test_a_kmt2a_r_infant_needs_review_of_what_the_record_cannot_decide(self) -> None:
        """Every automatic criterion is met; the attested and not-computable ones stay unknown."""
        result = match()
        assert result.verdict is Verdict.NEEDS_REVIEW
        assert {c.id for c in result.unknowns} == TO_DECIDE
        assert result.failing == []

    def test_attestations_of_the_remaining_criteria_make_the_infant_eligible(self) -> None:
        """Once a person states each remaining criterion, the verdict is eligible."""
        attestations = [
            attest("incl-diagnosis-who-2017", "met"),
            attest("incl-consent", "met"),
            attest("excl-prior-therapy", "not met"),
        ]
        assert match(attestations=attestations).verdict is Verdict.ELIGIBLE

    def test_kmt2a_germline_is_not_eligible_with_both_failing_criteria(self) -> None:
        """A germline infant fails the KMT2A inclusion and meets the germline exclusion."""
        result = match(genetics={"kmt2a": {"status": "germline"}})
        assert result.verdict is Verdict.NOT_ELIGIBLE
        assert {c.id for c in result.failing} == {"incl-kmt2a-r", "excl-kmt2a-germline"}

    def test_t_all_is_not_eligible(self) -> None:
        """T-ALL is excluded and fails the B-lineage inclusion."""
        result = match(diagnosis={"who_type": "T-ALL"})
        assert {c.id for c in result.failing} == {"incl-diagnosis-b-lineage", "excl-t-all"}

    def test_alal_passes_the_automatic_diagnosis_test_and_awaits_a_person(self) -> None:
        """An ALAL infant (possible B-cell MPAL) is not excluded by the record alone."""
        result = match(diagnosis={"who_type": "ALAL", "alal_predominant_lineage": "B-lymphoid"})
        assert result.verdict is Verdict.NEEDS_REVIEW
        assert status(result, "incl-diagnosis-b-lineage") is Truth.MET

    def test_unknown_kmt2a_status_is_an_unknown_naming_the_field(self) -> None:
        """Without a KMT2A result, both KMT2A criteria are unknown with genetics.kmt2a.status missing."""
        result = match(genetics={"kmt2a": DROP})
        missing = {c.id: c.missing for c in result.unknowns}
        assert missing["incl-kmt2a-r"] == ("genetics.kmt2a.status",)
        assert missing["excl-kmt2a-germline"] == ("genetics.kmt2a.status",)

    def test_relapsed_leukemia_is_excluded(self) -> None:
        """A relapsed infant meets the relapse exclusion."""
        result = match(relapse_status="first relapse")
        assert [c.id for c in result.failing] == ["excl-relapsed"]


class TestAgeBoundary:
    def test_exactly_365_days_at_diagnosis_meets_the_age_limit(self) -> None:
        """365 completed days at diagnosis meets '≤365 days' and not '> 365 days'."""
        result = match(patient={"date_of_birth": "2025-03-01"}, diagnosis={"date": "2026-03-01"})
        assert (status(result, "incl-age"), status(result, "excl-age")) == (Truth.MET, Truth.NOT_MET)
        assert result.verdict is Verdict.NEEDS_REVIEW

    def test_366_days_at_diagnosis_is_not_eligible(self) -> None:
        """366 completed days at diagnosis fails the inclusion and meets the exclusion."""
        result = match(patient={"date_of_birth": "2025-02-28"}, diagnosis={"date": "2026-03-01"})
        assert {c.id for c in result.failing} == {"incl-age", "excl-age"}


class TestNotEligibilityNotes:
    def test_cd19_negative_disease_does_not_exclude_from_the_trial(self) -> None:
        """The blinatumomab exclusions are notes: a CD19-negative infant still needs review, not exclusion."""
        result = match(diagnosis={"immunophenotype": {"CD19": "negative"}})
        assert result.verdict is Verdict.NEEDS_REVIEW
        assert next(b for b in result.biomarkers if b.id == "cd19").status is Truth.NOT_MET
        assert "blina-cd19-negative" in [note["id"] for note in result.to_dict()["not_eligibility"]]
