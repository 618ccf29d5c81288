"""Every shipped knowledge-base entry and approval, tested with records generated from the entry itself.

A new entry or approval is covered by these tests without writing a case by hand: its
biomarker must match when present, not match when tested negative, stay unknown when
unrecorded, and no child outside an approval's age range, population, disease or setting,
or of unknown age or setting, may see that approval as covering them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from knowledge.builders import (
    AS_OF,
    SETTING_STATES,
    TESTED_NEGATIVE,
    born_for_age,
    covered_record,
    default_born,
    inside_age,
    present_genetics,
    record,
)
from remission.knowledge import (
    ApprovalCoverage,
    BiomarkerCall,
    Coverage,
    approval_coverage,
    match_biomarker,
    match_entry,
    shipped_knowledge_base,
)
from remission.knowledge.model import Approval, Entry, MutationBiomarker
from remission.knowledge.vocabulary import Population
from remission.record import PatientRecord
from remission.record.ages import AgeUnit
from remission.record.vocabulary import WhoType
from remission.rules.evaluation import EvaluationContext, reference_dates
from remission.rules.truth import Truth

KB = shipped_knowledge_base()
ENTRIES = [entry for _, entry in KB.entries]
APPROVALS = [(entry, approval) for entry in ENTRIES for approval in entry.approvals]


def _id(item: Any) -> str:
    if isinstance(item, tuple):
        return f"{item[0].id}/{item[1].id}"
    return item.id


def context(patient: PatientRecord) -> EvaluationContext:
    return EvaluationContext(patient, {}, reference_dates(patient, as_of=AS_OF))


def cover(entry: Entry, approval: Approval, data: dict[str, Any]) -> ApprovalCoverage:
    return approval_coverage(approval, KB, context(record(data)), AS_OF)


def check(coverage: ApprovalCoverage, name: str) -> Truth:
    return next(c.truth for c in coverage.checks if c.name == name)


def needs_person(entry: Entry) -> bool:
    """Biomarkers whose presence the record cannot settle (a variant class) need review."""
    return isinstance(entry.biomarker, MutationBiomarker) and entry.biomarker.variant_class is not None


@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
class TestEveryEntryBiomarker:
    def test_present_finding_matches(self, entry: Entry) -> None:
        """A record with the entry's finding is matched (or sent to review for a variant class)."""
        patient = record({"patient": {"study_id": "KB-CASE"}, **present_genetics(entry)})
        expected = BiomarkerCall.UNKNOWN if needs_person(entry) else BiomarkerCall.PRESENT
        assert match_biomarker(entry.biomarker, context(patient)).call is expected

    def test_tested_negative_record_does_not_match(self, entry: Entry) -> None:
        """A record whose every test was negative does not show the biomarker."""
        data = {"patient": {"study_id": "KB-CASE"}, **TESTED_NEGATIVE}
        antigen = getattr(entry.biomarker, "antigen", None)
        if antigen:
            data["diagnosis"] = {"immunophenotype": {antigen: "negative"}}
        assert match_biomarker(entry.biomarker, context(record(data))).call is BiomarkerCall.ABSENT

    def test_unrecorded_biomarker_is_unknown_and_never_approved(self, entry: Entry) -> None:
        """Without genetics or immunophenotype the biomarker is unknown and the option needs review."""
        data = {"patient": {"study_id": "KB-CASE", "date_of_birth": "2020-01-01"}}
        data["diagnosis"] = {"who_type": entry.diseases[0].value}
        option = match_entry(KB.entries[0][0], entry, KB, context(record(data)), AS_OF)
        assert option.biomarker.call is BiomarkerCall.UNKNOWN
        assert option.status is Coverage.NEEDS_REVIEW

    def test_other_disease_does_not_apply(self, entry: Entry) -> None:
        """A child with a disease the entry does not list is not offered the entry."""
        others = [t for t in WhoType if t not in entry.diseases]
        if not others:
            pytest.skip("the entry lists every disease")
        data = {"patient": {"study_id": "KB-CASE"}, **present_genetics(entry)}
        data.setdefault("diagnosis", {})["who_type"] = others[0].value
        option = match_entry(KB.entries[0][0], entry, KB, context(record(data)), AS_OF)
        assert option.applies is Truth.NOT_MET


@pytest.mark.parametrize(("entry", "approval"), APPROVALS, ids=_id)
class TestEveryApproval:
    def test_child_meeting_every_condition_is_covered(self, entry: Entry, approval: Approval) -> None:
        """Inside the range with every recordable condition met: approved (review if the label asks more)."""
        coverage = cover(entry, approval, covered_record(entry, approval, born=default_born(approval)))
        if not approval.diseases:
            assert coverage.coverage is Coverage.OFF_LABEL
        elif approval.unrecorded_conditions:
            assert coverage.coverage is Coverage.NEEDS_REVIEW
        else:
            assert coverage.coverage is Coverage.APPROVED, coverage.reason

    def test_unknown_age_is_never_approved(self, entry: Entry, approval: Approval) -> None:
        """Without a date of birth an age-limited or population-limited approval never covers."""
        if (
            approval.min_age is None
            and approval.max_age is None
            and approval.population is Population.ADULTS_AND_CHILDREN
        ):
            pytest.skip("the approval states no age limit")
        coverage = cover(entry, approval, covered_record(entry, approval, born=None))
        assert coverage.coverage is not Coverage.APPROVED
        assert "patient.date_of_birth" in coverage.missing or coverage.coverage is Coverage.OFF_LABEL

    def test_one_day_below_minimum_age_is_not_approved(self, entry: Entry, approval: Approval) -> None:
        """A child one day short of the minimum age fails the age check and is not covered."""
        bound = approval.min_age
        if bound is None:
            pytest.skip("no minimum age")
        born = born_for_age(inside_age(bound, lower=True), bound.unit, day_early=True)
        coverage = cover(entry, approval, covered_record(entry, approval, born=born))
        assert check(coverage, "age") is Truth.NOT_MET
        assert coverage.coverage is not Coverage.APPROVED

    def test_at_minimum_age_passes_the_age_check(self, entry: Entry, approval: Approval) -> None:
        """A child who reaches the minimum age that day passes the age check."""
        bound = approval.min_age
        if bound is None:
            pytest.skip("no minimum age")
        born = born_for_age(inside_age(bound, lower=True), bound.unit)
        assert check(cover(entry, approval, covered_record(entry, approval, born=born)), "age") is Truth.MET

    def test_one_unit_above_maximum_age_is_not_approved(self, entry: Entry, approval: Approval) -> None:
        """A patient who has passed the maximum age fails the age check and is not covered."""
        bound = approval.max_age
        if bound is None:
            pytest.skip("no maximum age")
        born = born_for_age(inside_age(bound, lower=False) + 1, bound.unit)
        coverage = cover(entry, approval, covered_record(entry, approval, born=born))
        assert check(coverage, "age") is Truth.NOT_MET
        assert coverage.coverage is not Coverage.APPROVED

    def test_population_limits_hold(self, entry: Entry, approval: Approval) -> None:
        """An adults-only label is adult-only for a child; a children-only label does not cover an adult."""
        adult_from = KB.agencies[approval.agency].adult_from
        if approval.population is Population.ADULTS:
            born = born_for_age(adult_from.value, adult_from.unit, day_early=True)
            expected = Coverage.ADULT_ONLY
        elif approval.population is Population.CHILDREN:
            born = born_for_age(adult_from.value, adult_from.unit)
            expected = None
        else:
            pytest.skip("adults and children")
        coverage = cover(entry, approval, covered_record(entry, approval, born=born))
        if expected is not None:
            assert coverage.coverage is expected
        else:
            assert check(coverage, "population") is Truth.NOT_MET
            assert coverage.coverage is not Coverage.APPROVED

    def test_other_disease_is_off_label(self, entry: Entry, approval: Approval) -> None:
        """A disease outside the approval's list makes it off-label, never approved."""
        others = [t for t in WhoType if t not in approval.diseases]
        data = covered_record(entry, approval, born=default_born(approval))
        data["diagnosis"]["who_type"] = others[0].value
        data["diagnosis"].pop("alal_predominant_lineage", None)
        assert cover(entry, approval, data).coverage is Coverage.OFF_LABEL

    def test_setting_not_met_is_not_approved(self, entry: Entry, approval: Approval) -> None:
        """In a disease setting the approval does not name, the approval does not cover."""
        if not approval.settings:
            pytest.skip("the source names no setting")
        for state in SETTING_STATES:
            data = covered_record(entry, approval, born=default_born(approval))
            data.update(state)
            coverage = cover(entry, approval, data)
            if check(coverage, "setting") is Truth.NOT_MET:
                assert coverage.coverage is not Coverage.APPROVED
                return
        pytest.skip("every prepared disease state meets one of the approval's settings")

    def test_unrecorded_setting_is_never_approved(self, entry: Entry, approval: Approval) -> None:
        """With relapse status, refractoriness and therapy phase unrecorded, a setting stays unknown."""
        if not approval.settings:
            pytest.skip("the source names no setting")
        data = covered_record(entry, approval, born=default_born(approval))
        for name in ("relapse_status", "refractory_disease", "current_therapy_phase"):
            data.pop(name, None)
        coverage = cover(entry, approval, data)
        assert check(coverage, "setting") is Truth.UNKNOWN
        assert coverage.coverage is not Coverage.APPROVED


def test_generated_dates_are_not_in_the_future() -> None:
    """The generated dates of birth lie on or before the decision date."""
    assert born_for_age(0, AgeUnit.DAYS) == AS_OF
    assert born_for_age(1, AgeUnit.YEARS) == date(2025, 11, 21)
