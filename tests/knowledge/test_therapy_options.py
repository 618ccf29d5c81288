"""Therapy options for hand-written children at the clinically important boundaries, and ranking."""

from __future__ import annotations

from datetime import date
from typing import Any

from knowledge.builders import record
from remission.knowledge import (
    Coverage,
    TherapyOption,
    TherapyReport,
    shipped_knowledge_base,
    therapy_options,
)
from remission.rules.truth import Truth

KB = shipped_knowledge_base()


def report(as_of: date, **sections: Any) -> TherapyReport:
    data = {"patient": {"study_id": "TX-1", **sections.pop("patient", {})}, **sections}
    return therapy_options(record(data), KB, as_of=as_of)


def option(result: TherapyReport, entry_id: str) -> TherapyOption:
    return next(o for o in (*result.options, *result.not_applicable) if o.entry.id == entry_id)


def coverage(result: TherapyReport, entry_id: str, approval_id: str) -> Coverage:
    found = option(result, entry_id)
    return next(a.coverage for a in found.approvals if a.approval.id == approval_id)


PH_POSITIVE_NEW = {
    "diagnosis": {"who_type": "B-ALL"},
    "genetics": {"fusions": ["BCR::ABL1"], "ph_status": "positive"},
    "relapse_status": "never relapsed",
}
KMT2A_RELAPSE = {
    "diagnosis": {"who_type": "B-ALL"},
    "genetics": {"kmt2a": {"status": "rearranged", "partner": "AFF1"}, "fusions": ["KMT2A::AFF1"]},
    "relapse_status": "first relapse",
}
CD19_CONSOLIDATION = {
    "diagnosis": {"who_type": "B-ALL", "immunophenotype": {"CD19": "positive"}},
    "genetics": {"ph_status": "negative"},
    "relapse_status": "never relapsed",
    "current_therapy_phase": "consolidation",
}


class TestAgeBoundaries:
    def test_dasatinib_not_approved_at_11_months(self) -> None:
        """A Ph+ infant of 11 completed months is off-label for dasatinib's ≥ 1 year approval."""
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2025-11-22"}, **PH_POSITIVE_NEW)
        assert option(result, "bcr-abl1-dasatinib").status is Coverage.OFF_LABEL

    def test_dasatinib_approved_on_the_first_birthday(self) -> None:
        """On the first birthday the same child is covered by the dasatinib approval."""
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2025-11-21"}, **PH_POSITIVE_NEW)
        assert option(result, "bcr-abl1-dasatinib").status is Coverage.APPROVED

    def test_imatinib_has_no_lower_age_bound(self) -> None:
        """The pediatric imatinib approval states no minimum age, so an infant is covered."""
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2026-05-01"}, **PH_POSITIVE_NEW)
        assert option(result, "bcr-abl1-imatinib").status is Coverage.APPROVED

    def test_revumenib_leap_day_birthday_counts_on_28_february(self) -> None:
        """A child born on 29 Feb 2024 is 1 year old on 28 Feb 2025 and covered by revumenib."""
        result = report(date(2025, 2, 28), patient={"date_of_birth": "2024-02-29"}, **KMT2A_RELAPSE)
        assert option(result, "kmt2a-r-revumenib").status is Coverage.APPROVED

    def test_revumenib_not_approved_the_day_before(self) -> None:
        """On 27 Feb 2025 the same child is not yet 1 year old: off-label."""
        result = report(date(2025, 2, 27), patient={"date_of_birth": "2024-02-29"}, **KMT2A_RELAPSE)
        assert option(result, "kmt2a-r-revumenib").status is Coverage.OFF_LABEL

    def test_blinatumomab_consolidation_not_approved_before_one_month(self) -> None:
        """A newborn of 30 days (0 completed months) is off-label for blinatumomab consolidation."""
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2026-10-22"}, **CD19_CONSOLIDATION)
        assert coverage(result, "cd19-blinatumomab", "fda-2024-consolidation") is Coverage.OFF_LABEL

    def test_blinatumomab_consolidation_approved_at_one_month(self) -> None:
        """At one completed month the consolidation approval covers the child."""
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2026-10-21"}, **CD19_CONSOLIDATION)
        assert option(result, "cd19-blinatumomab").status_label == "approved (FDA)"

    def test_tisagenlecleucel_covers_the_day_before_the_26th_birthday(self) -> None:
        """At 25 completed years the CAR-T approval ("up to 25 years") covers."""
        sections = {
            "diagnosis": {"who_type": "B-ALL", "immunophenotype": {"CD19": "positive"}},
            "relapse_status": "second or later relapse",
        }
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2000-11-22"}, **sections)
        assert option(result, "cd19-tisagenlecleucel").status is Coverage.APPROVED

    def test_tisagenlecleucel_not_approved_from_the_26th_birthday(self) -> None:
        """From the 26th birthday the CAR-T approval no longer covers."""
        sections = {
            "diagnosis": {"who_type": "B-ALL", "immunophenotype": {"CD19": "positive"}},
            "relapse_status": "second or later relapse",
        }
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2000-11-21"}, **sections)
        assert option(result, "cd19-tisagenlecleucel").status is Coverage.OFF_LABEL


class TestPopulations:
    def test_ponatinib_is_adult_only_at_17(self) -> None:
        """A Ph+ patient one day before turning 18 sees ponatinib as adult-only."""
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2008-11-22"}, **PH_POSITIVE_NEW)
        assert option(result, "bcr-abl1-ponatinib").status is Coverage.ADULT_ONLY

    def test_inotuzumab_adult_label_takes_over_at_18(self) -> None:
        """At 18 the pediatric inotuzumab label no longer covers, the adult one does."""
        sections = {
            "diagnosis": {"who_type": "B-ALL", "immunophenotype": {"CD22": "positive"}},
            "relapse_status": "first relapse",
        }
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2008-11-21"}, **sections)
        assert coverage(result, "cd22-inotuzumab-ozogamicin", "fda-2024-pediatric") is Coverage.OFF_LABEL
        assert coverage(result, "cd22-inotuzumab-ozogamicin", "fda-2017-adult") is Coverage.APPROVED

    def test_ziftomenib_adult_only_revumenib_needs_review_for_npm1_child(self) -> None:
        """A child with R/R NPM1-mutated AML: ziftomenib adult-only, revumenib needs a person's review."""
        sections = {
            "diagnosis": {"who_type": "AML"},
            "genetics": {"mutations": [{"gene": "NPM1", "variant": "p.W288fs"}]},
            "relapse_status": "first relapse",
        }
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2016-01-01"}, **sections)
        assert option(result, "npm1-ziftomenib").status is Coverage.ADULT_ONLY
        assert option(result, "npm1-revumenib").status is Coverage.NEEDS_REVIEW


class TestSettingsAndConditions:
    def test_ph_positive_child_is_off_label_for_blinatumomab_consolidation(self) -> None:
        """The consolidation approval needs Ph-negative disease."""
        sections = {**CD19_CONSOLIDATION, "genetics": {"ph_status": "positive"}}
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2020-01-01"}, **sections)
        assert coverage(result, "cd19-blinatumomab", "fda-2024-consolidation") is Coverage.OFF_LABEL

    def test_unknown_ph_status_needs_review_for_blinatumomab_consolidation(self) -> None:
        """Without a Ph status the consolidation approval needs review, listing the field."""
        sections = {**CD19_CONSOLIDATION, "genetics": {}}
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2020-01-01"}, **sections)
        found = option(result, "cd19-blinatumomab")
        assert found.status is Coverage.NEEDS_REVIEW
        assert "genetics.ph_status" in found.missing

    def test_unknown_relapse_status_needs_review_for_revumenib(self) -> None:
        """Revumenib's relapsed/refractory setting is unknown without relapse status."""
        sections = {**KMT2A_RELAPSE}
        sections.pop("relapse_status")
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2020-01-01"}, **sections)
        found = option(result, "kmt2a-r-revumenib")
        assert found.status is Coverage.NEEDS_REVIEW
        assert "relapse_status" in found.missing

    def test_refractory_never_relapsed_child_is_covered_by_revumenib(self) -> None:
        """Refractory disease without relapse meets the relapsed/refractory setting."""
        sections = {**KMT2A_RELAPSE, "relapse_status": "never relapsed", "refractory_disease": True}
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2020-01-01"}, **sections)
        assert option(result, "kmt2a-r-revumenib").status is Coverage.APPROVED

    def test_first_relapse_is_off_label_for_tisagenlecleucel(self) -> None:
        """A first, non-refractory relapse is outside the CAR-T label (refractory or second relapse)."""
        sections = {
            "diagnosis": {"who_type": "B-ALL", "immunophenotype": {"CD19": "positive"}},
            "relapse_status": "first relapse",
            "refractory_disease": False,
        }
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2015-01-01"}, **sections)
        assert option(result, "cd19-tisagenlecleucel").status is Coverage.OFF_LABEL


class TestKinds:
    def test_ntrk_fusion_leukemia_is_off_label_for_larotrectinib(self) -> None:
        """Larotrectinib is approved for solid tumors only: off-label in leukemia."""
        sections = {"diagnosis": {"who_type": "B-ALL"}, "genetics": {"fusions": ["ETV6::NTRK3"]}}
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2015-01-01"}, **sections)
        assert option(result, "ntrk-larotrectinib").status is Coverage.OFF_LABEL

    def test_jak_stat_ph_like_is_trial_only(self) -> None:
        """Ruxolitinib for Ph-like JAK-STAT ALL has no approval: trial-only."""
        sections = {"diagnosis": {"who_type": "B-ALL"}, "genetics": {"ph_like_class": "JAK-STAT"}}
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2015-01-01"}, **sections)
        assert option(result, "ph-like-jak-stat-ruxolitinib").status is Coverage.TRIAL_ONLY

    def test_abl_class_is_off_label_for_dasatinib(self) -> None:
        """Dasatinib's Ph+ approval does not cover Ph-like ABL-class ALL."""
        sections = {
            "diagnosis": {"who_type": "B-ALL"},
            "genetics": {"ph_like_class": "ABL-class", "ph_status": "negative"},
            "relapse_status": "never relapsed",
        }
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2015-01-01"}, **sections)
        assert option(result, "ph-like-abl-class-dasatinib").status is Coverage.OFF_LABEL

    def test_conflicting_kmt2a_findings_need_review(self) -> None:
        """A KMT2A fusion with a germline status is never presented as approved."""
        sections = {
            **KMT2A_RELAPSE,
            "genetics": {"kmt2a": {"status": "germline"}, "fusions": ["KMT2A::AFF1"]},
        }
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2020-01-01"}, **sections)
        found = option(result, "kmt2a-r-revumenib")
        assert found.applies is Truth.UNKNOWN
        assert found.status is Coverage.NEEDS_REVIEW


class TestRanking:
    def test_options_are_ordered_by_evidence_level(self) -> None:
        """Level 1 options come before level 3B and 4 options."""
        sections = {
            "diagnosis": {"who_type": "B-ALL", "immunophenotype": {"CD19": "positive"}},
            "genetics": {"fusions": ["ETV6::NTRK3"], "ph_like_class": "JAK-STAT", "ph_status": "negative"},
            "relapse_status": "never relapsed",
            "current_therapy_phase": "consolidation",
        }
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2015-01-01"}, **sections)
        ranks = [o.entry.evidence.level.rank for o in result.options]
        assert ranks == sorted(ranks)
        assert result.options[0].entry.id == "cd19-blinatumomab"

    def test_certain_options_precede_open_ones_within_a_level(self) -> None:
        """Within level 1, an option whose biomarker is present precedes one still unknown."""
        sections = {
            "diagnosis": {"who_type": "B-ALL", "immunophenotype": {"CD19": "positive"}},
            "genetics": {"ph_status": "negative"},
            "relapse_status": "never relapsed",
            "current_therapy_phase": "consolidation",
        }
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2015-01-01"}, **sections)
        level_1 = [o for o in result.options if o.entry.evidence.level.value == "1"]
        applies = [o.applies for o in level_1]
        assert applies.index(Truth.UNKNOWN) > applies.index(Truth.MET)
        assert all(a is Truth.UNKNOWN for a in applies[applies.index(Truth.UNKNOWN) :])

    def test_absent_biomarkers_are_not_options(self) -> None:
        """An entry whose biomarker was tested negative is listed as not applicable."""
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2015-01-01"}, **PH_POSITIVE_NEW)
        assert "kmt2a-r-revumenib" not in {o.entry.id for o in result.options}

    def test_json_names_matched_path_and_status(self) -> None:
        """The JSON form gives each option its rank, status, matched record path and sources."""
        result = report(date(2026, 11, 21), patient={"date_of_birth": "2015-01-01"}, **PH_POSITIVE_NEW)
        first = result.to_dict()["options"][0]
        assert first["rank"] == 1
        assert first["status"] in {c.value for c in Coverage}
        assert any(f["path"] == "genetics.fusions" for f in first["biomarker"]["fields"])
        assert first["sources"]
