"""Matching NCT06516679: the trial reuses the protocol file's criteria, with the matching date as entry."""

from __future__ import annotations

from datetime import date

from remission.protocols import load_protocol
from remission.protocols.results import Verdict
from remission.trials import load_shipped_trial, match_trial
from support.records import DROP, TODAY, make_record, parse

TRIAL = load_shipped_trial("NCT06516679")


def match(as_of: date = TODAY, **overrides):
    return match_trial(parse(make_record(**overrides)), TRIAL, as_of=as_of)


class TestReuse:
    def test_the_criteria_are_the_protocol_files(self) -> None:
        """The trial's eligibility and parameters are the shipped protocol's, not a copy."""
        protocol = load_protocol("NCT06516679")
        assert TRIAL.protocol.eligibility == protocol.eligibility
        assert TRIAL.protocol.parameters == protocol.parameters


class TestVerdicts:
    def test_a_fully_recorded_eligible_infant_is_eligible(self) -> None:
        """The shared eligible record meets every criterion."""
        result = match()
        assert (result.verdict, result.failing, result.unknowns) == (Verdict.ELIGIBLE, [], [])

    def test_diagnosis_on_the_first_birthday_is_not_eligible(self) -> None:
        """Age at diagnosis exactly 1 year fails 'less than 1 year old'."""
        result = match(patient={"date_of_birth": "2025-06-01"})
        assert result.verdict is Verdict.NOT_ELIGIBLE
        assert [c.id for c in result.failing] == ["incl-age"]

    def test_diagnosis_the_day_before_the_first_birthday_is_eligible(self) -> None:
        """Age at diagnosis of 364 days (0 completed years) meets the age criterion."""
        assert match(patient={"date_of_birth": "2025-06-02"}).verdict is Verdict.ELIGIBLE

    def test_unrecorded_syndromes_need_review_naming_the_field(self) -> None:
        """Without a syndromes assessment the verdict is needs review, and the field is named."""
        result = match(syndromes=DROP)
        assert result.verdict is Verdict.NEEDS_REVIEW
        assert [(c.id, c.missing) for c in result.unknowns] == [("excl-syndromes", ("syndromes",))]

    def test_without_the_attestation_the_contraindication_is_to_attest(self) -> None:
        """The attested criterion stays unknown until a person states it."""
        result = match(attestations=[])
        assert result.verdict is Verdict.NEEDS_REVIEW
        assert result.screening.to_attest == ["excl-contraindication"]

    def test_the_steroid_window_ends_on_the_matching_date(self) -> None:
        """A systemic course within 28 days of the matching date excludes; matched later it does not."""
        course = {
            "drug": "prednisolone",
            "systemic": True,
            "start_date": "2026-10-30",
            "end_date": "2026-11-05",
        }
        now = match(as_of=date(2026, 11, 21), prior_steroids=[course])
        later = match(as_of=date(2026, 12, 31), prior_steroids=[course])
        assert [c.id for c in now.failing] == ["excl-steroids"]
        assert later.verdict is Verdict.ELIGIBLE

    def test_a_kmt2a_rearrangement_is_reported_with_its_partner(self) -> None:
        """The matched biomarker names the fusion: KMT2A::AFF1."""
        result = match(genetics={"kmt2a": {"status": "rearranged", "partner": "AFF1"}})
        assert [(b.id, b.finding) for b in result.matched_biomarkers] == [("kmt2a-r", "KMT2A::AFF1")]

    def test_recruitment_status_comes_with_its_source_date(self) -> None:
        """The status is reported with the date of the source that states it."""
        status = match().to_dict()["recruitment"]
        assert status == {"status": "RECRUITING", "as_of": "2025-07-17", "source": "seed-002"}
