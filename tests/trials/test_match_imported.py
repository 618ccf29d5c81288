"""Matching an imported study: registry age bounds at their exact boundaries, free text for review."""

from __future__ import annotations

from datetime import date
from typing import Any

from remission.protocols.results import Verdict
from remission.rules.truth import Truth
from remission.trials import match_trial, read_study_file, study_to_trial
from support.records import DROP, make_record, parse

from .conftest import FIXTURES

STUDY = read_study_file(FIXTURES / "study_single.json")[0]
TRIAL = study_to_trial(STUDY.study, imported_on=date(2026, 11, 21), source_file=STUDY.source)
ON = date(2026, 11, 21)


def age_status(date_of_birth: str, criterion_id: str) -> Truth:
    overrides: dict[str, Any] = {"patient": {"date_of_birth": date_of_birth}}
    if date_of_birth > "2026-06-01":
        overrides |= {"diagnosis": {"date": "2026-11-01"}, "consent": DROP, "study_entry_date": DROP}
        overrides |= {"mrd": [], "attestations": []}
    result = match_trial(parse(make_record(**overrides)), TRIAL, as_of=ON)
    return next(c.status for c in result.screening.criteria if c.id == criterion_id)


class TestAgeBounds:
    def test_exactly_twelve_months_on_the_matching_date_meets_the_minimum(self) -> None:
        """minimumAge '12 Months' is met on the day the child turns 12 months."""
        assert age_status("2025-11-21", "registry-minimum-age") is Truth.MET

    def test_one_day_short_of_twelve_months_does_not(self) -> None:
        """A child one day short of 12 months (11 completed months) fails the minimum."""
        assert age_status("2025-11-22", "registry-minimum-age") is Truth.NOT_MET

    def test_eighteen_years_and_eleven_months_meets_the_maximum(self) -> None:
        """maximumAge '18 Years' admits 18 completed years, up to the 19th birthday."""
        assert age_status("2007-12-21", "registry-maximum-age") is Truth.MET

    def test_the_nineteenth_birthday_exceeds_the_maximum(self) -> None:
        """On the 19th birthday the maximum is exceeded."""
        assert age_status("2007-11-21", "registry-maximum-age") is Truth.NOT_MET


class TestVerdict:
    def test_an_uncurated_study_is_at_best_needs_review(self) -> None:
        """Free-text criteria are not computable, so an age-eligible child needs review, listing them."""
        result = match_trial(parse(make_record(patient={"date_of_birth": "2024-01-15"})), TRIAL, as_of=ON)
        assert result.verdict is Verdict.NEEDS_REVIEW
        assert {c.text for c in result.unknowns} == {
            "Newly diagnosed acute lymphoblastic leukemia",
            "Written informed consent of a parent or legal guardian",
            "Prior hematopoietic stem cell transplantation",
            "Down syndrome",
        }

    def test_an_attestation_settles_a_free_text_bullet(self) -> None:
        """A person's attestation of a bullet (by its id) decides it, as for protocol criteria."""
        down = next(c.id for c in TRIAL.protocol.eligibility if c.text == "Down syndrome")
        attestation = {
            "protocol_id": "NCT99000001",
            "criterion_id": down,
            "outcome": "met",
            "attested_by": "Dr. Test Example",
            "date": "2026-06-04",
        }
        record = parse(make_record(patient={"date_of_birth": "2024-01-15"}, attestations=[attestation]))
        result = match_trial(record, TRIAL, as_of=ON)
        assert (result.verdict, [c.id for c in result.failing]) == (Verdict.NOT_ELIGIBLE, [down])

    def test_an_attestation_of_a_bullet_that_no_longer_exists_is_reported(self) -> None:
        """An attestation naming no current criterion is a warning, never silently dropped."""
        attestation = {
            "protocol_id": "NCT99000001",
            "criterion_id": "excl-00000000",
            "outcome": "not met",
            "attested_by": "Dr. Test Example",
            "date": "2026-06-04",
        }
        result = match_trial(parse(make_record(attestations=[attestation])), TRIAL, as_of=ON)
        assert any("'excl-00000000' is not a criterion of NCT99000001" in w for w in result.warnings)
