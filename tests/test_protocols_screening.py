"""Eligibility screening against NCT06516679: each criterion met, not met and unknown, and the verdict."""

from __future__ import annotations

import json
from typing import Any

import pytest

from remission.errors import InputError
from remission.protocols import (
    CriterionResult,
    Protocol,
    ScreeningResult,
    Verdict,
    load_protocol,
    screen_patient,
    screen_patients,
    with_parameters,
)
from remission.rules import Truth
from support.records import DROP, TODAY, make_record, parse

NCT = load_protocol("NCT06516679")


def screen(data: dict[str, Any], protocol: Protocol = NCT) -> ScreeningResult:
    return screen_patient(parse(data), protocol, as_of=TODAY)


def criterion(data: dict[str, Any], criterion_id: str, protocol: Protocol = NCT) -> CriterionResult:
    return next(c for c in screen(data, protocol).criteria if c.id == criterion_id)


def steroid(start: str, end: str | None, *, systemic: bool = True) -> dict[str, Any]:
    return {"drug": "prednisolone", "systemic": systemic, "start_date": start, "end_date": end}


def study(start: str, end: str | None, *, interventional: bool = True) -> dict[str, Any]:
    return {"study_id": "NCT01234567", "interventional": interventional, "start_date": start, "end_date": end}


def attestation(criterion_id: str, outcome: str, on: str, protocol_id: str = "NCT06516679") -> dict[str, Any]:
    return {
        "protocol_id": protocol_id,
        "criterion_id": criterion_id,
        "outcome": outcome,
        "attested_by": "Dr. Seo-Yeon Kim",
        "date": on,
    }


class TestEligibleRecord:
    def test_base_record_is_eligible(self):
        """The fully specified record of conftest is eligible with every criterion decided."""
        result = screen(make_record())

        assert result.verdict is Verdict.ELIGIBLE
        assert result.unresolved == []
        assert result.failing == []

    def test_protocol_encodes_the_expected_criteria(self):
        """NCT06516679 encodes exactly the criteria these tests cover, in this order."""
        assert [c.id for c in NCT.eligibility] == [
            "incl-age",
            "incl-diagnosis",
            "incl-consent",
            "excl-mature-b",
            "excl-syndromes",
            "excl-prior-hsct",
            "excl-relapsed",
            "excl-contraindication",
            "excl-steroids",
            "excl-other-study",
        ]


class TestAge:
    def test_day_before_first_birthday_is_met(self):
        """A child diagnosed on the day before the first birthday is less than 1 year old."""
        data = make_record(patient={"date_of_birth": "2025-06-10"}, diagnosis={"date": "2026-06-09"})

        assert criterion(data, "incl-age").status is Truth.MET

    def test_first_birthday_is_not_met(self):
        """A child diagnosed on the first birthday is 1 year old and not eligible."""
        data = make_record(patient={"date_of_birth": "2025-06-10"}, diagnosis={"date": "2026-06-10"})
        result = screen(data)

        assert criterion(data, "incl-age").status is Truth.NOT_MET
        assert result.verdict is Verdict.NOT_ELIGIBLE
        assert result.failing == ["incl-age"]

    def test_leap_day_birthday_falls_on_28_february(self):
        """A child born on 29 February turns 1 on 28 February of a common year."""
        before = make_record(patient={"date_of_birth": "2024-02-29"}, diagnosis={"date": "2025-02-27"})
        on = make_record(patient={"date_of_birth": "2024-02-29"}, diagnosis={"date": "2025-02-28"})

        assert criterion(before, "incl-age").status is Truth.MET
        assert criterion(on, "incl-age").status is Truth.NOT_MET

    def test_missing_date_of_birth_is_unknown(self):
        """Without a date of birth the age is unknown and the date of birth is named as missing."""
        result = criterion(make_record(patient={"date_of_birth": DROP}), "incl-age")

        assert result.status is Truth.UNKNOWN
        assert result.missing == ("patient.date_of_birth",)

    def test_missing_diagnosis_date_is_unknown(self):
        """Without a diagnosis date the age at diagnosis is unknown."""
        result = criterion(make_record(diagnosis={"date": DROP}), "incl-age")

        assert result.status is Truth.UNKNOWN
        assert result.missing == ("diagnosis.date",)


class TestDiagnosis:
    @pytest.mark.parametrize(
        "diagnosis",
        [
            {"who_type": "B-ALL"},
            {"who_type": "T-ALL"},
            {"who_type": "ALAL", "alal_predominant_lineage": "B-lymphoid"},
            {"who_type": "ALAL", "alal_predominant_lineage": "T-lymphoid"},
        ],
    )
    def test_all_and_lymphoid_alal_are_met(self, diagnosis):
        """ALL of either lineage and ALAL with a lymphoid predominant lineage are included."""
        assert criterion(make_record(diagnosis=diagnosis), "incl-diagnosis").status is Truth.MET

    @pytest.mark.parametrize(
        "diagnosis",
        [
            {"who_type": "ALAL", "alal_predominant_lineage": "myeloid"},
            {"who_type": "ALAL", "alal_predominant_lineage": "undetermined"},
            {"who_type": "AML"},
            {"who_type": "mature-B/Burkitt"},
        ],
    )
    def test_other_types_are_not_met(self, diagnosis):
        """AML, mature B-cell leukemia and ALAL without a lymphoid predominance are not included."""
        assert criterion(make_record(diagnosis=diagnosis), "incl-diagnosis").status is Truth.NOT_MET

    def test_alal_without_lineage_is_unknown(self):
        """ALAL whose predominant lineage is not recorded cannot be decided and names the lineage."""
        result = criterion(make_record(diagnosis={"who_type": "ALAL"}), "incl-diagnosis")

        assert result.status is Truth.UNKNOWN
        assert result.missing == ("diagnosis.alal_predominant_lineage",)

    def test_missing_who_type_is_unknown(self):
        """Without a WHO type the diagnosis criterion is unknown."""
        result = criterion(make_record(diagnosis={"who_type": DROP}), "incl-diagnosis")

        assert result.status is Truth.UNKNOWN
        assert "diagnosis.who_type" in result.missing


class TestConsent:
    @pytest.mark.parametrize("given_by", ["parents", "parent", "guardian"])
    def test_parents_or_guardian_are_met(self, given_by):
        """Consent by the parents, one parent or a guardian before study entry is met."""
        data = make_record(consent={"given_by": given_by})

        assert criterion(data, "incl-consent").status is Truth.MET

    def test_consent_on_entry_day_is_met(self):
        """Consent dated on the study entry day counts as before participation."""
        data = make_record(consent={"date": "2026-06-05"}, study_entry_date="2026-06-05")

        assert criterion(data, "incl-consent").status is Truth.MET

    def test_consent_after_entry_is_not_met(self):
        """Consent dated the day after study entry is not consent before participation."""
        data = make_record(consent={"date": "2026-06-06"}, study_entry_date="2026-06-05")
        result = screen(data)

        assert criterion(data, "incl-consent").status is Truth.NOT_MET
        assert result.failing == ["incl-consent"]

    def test_missing_consent_is_unknown(self):
        """Without a consent record the criterion is unknown and names who and when as missing."""
        result = criterion(make_record(consent=DROP), "incl-consent")

        assert result.status is Truth.UNKNOWN
        assert result.missing == ("consent.given_by", "consent.date")

    def test_screening_date_stands_in_for_entry(self):
        """Without a study entry date the screening date is the reference, and the trace says so."""
        result = criterion(make_record(study_entry_date=DROP), "incl-consent")

        assert result.status is Truth.MET
        assert result.inputs["screening date (no study_entry_date recorded)"] == TODAY.isoformat()


class TestMatureB:
    def test_mature_b_is_met_and_excludes(self):
        """A mature B-cell/Burkitt leukemia meets the exclusion and makes the child not eligible."""
        data = make_record(diagnosis={"who_type": "mature-B/Burkitt"})
        result = screen(data)

        assert criterion(data, "excl-mature-b").status is Truth.MET
        assert result.verdict is Verdict.NOT_ELIGIBLE
        assert {"incl-diagnosis", "excl-mature-b"} == set(result.failing)

    def test_b_all_is_not_met(self):
        """A B-ALL does not meet the mature B-cell exclusion."""
        assert criterion(make_record(), "excl-mature-b").status is Truth.NOT_MET

    def test_missing_who_type_is_unknown(self):
        """Without a WHO type the mature B-cell exclusion is unknown."""
        result = criterion(make_record(diagnosis={"who_type": DROP}), "excl-mature-b")

        assert result.status is Truth.UNKNOWN
        assert result.missing == ("diagnosis.who_type",)


class TestSyndromes:
    @pytest.mark.parametrize(
        "syndrome",
        [
            "Down syndrome",
            "Bloom syndrome",
            "ataxia-telangiectasia",
            "Fanconi anemia",
            "Kostmann syndrome",
            "Shwachman syndrome",
            "other bone marrow failure syndrome",
        ],
    )
    def test_each_syndrome_excludes(self, syndrome):
        """Each listed predisposition syndrome meets the exclusion and makes the child not eligible."""
        data = make_record(syndromes=[syndrome])

        assert criterion(data, "excl-syndromes").status is Truth.MET
        assert screen(data).failing == ["excl-syndromes"]

    def test_assessed_none_is_not_met(self):
        """An empty syndrome list is a recorded none and does not exclude."""
        assert criterion(make_record(syndromes=[]), "excl-syndromes").status is Truth.NOT_MET

    def test_not_assessed_is_unknown(self):
        """Syndromes that are not recorded leave the exclusion unknown."""
        result = criterion(make_record(syndromes=DROP), "excl-syndromes")

        assert result.status is Truth.UNKNOWN
        assert result.missing == ("syndromes",)


class TestPriorHSCT:
    def test_prior_transplant_excludes(self):
        """A prior stem cell transplantation meets the exclusion."""
        data = make_record(prior_hsct=True)

        assert criterion(data, "excl-prior-hsct").status is Truth.MET
        assert screen(data).failing == ["excl-prior-hsct"]

    def test_no_prior_transplant_is_not_met(self):
        """A recorded absence of prior transplantation does not exclude."""
        assert criterion(make_record(prior_hsct=False), "excl-prior-hsct").status is Truth.NOT_MET

    def test_unrecorded_is_unknown(self):
        """An unrecorded transplant history leaves the exclusion unknown."""
        result = criterion(make_record(prior_hsct=DROP), "excl-prior-hsct")

        assert result.status is Truth.UNKNOWN
        assert result.missing == ("prior_hsct",)


class TestRelapse:
    @pytest.mark.parametrize("status", ["first relapse", "second or later relapse"])
    def test_relapse_excludes(self, status):
        """A relapsed leukemia meets the exclusion."""
        assert criterion(make_record(relapse_status=status), "excl-relapsed").status is Truth.MET

    def test_never_relapsed_is_not_met(self):
        """A newly diagnosed leukemia does not meet the relapse exclusion."""
        data = make_record(relapse_status="never relapsed")

        assert criterion(data, "excl-relapsed").status is Truth.NOT_MET

    def test_unrecorded_is_unknown(self):
        """An unrecorded relapse status leaves the exclusion unknown."""
        result = criterion(make_record(relapse_status=DROP), "excl-relapsed")

        assert result.status is Truth.UNKNOWN
        assert result.missing == ("relapse_status",)


class TestContraindication:
    def test_attested_not_met_does_not_exclude(self):
        """A physician's attestation that no drug is contraindicated settles the exclusion as not met."""
        result = criterion(make_record(), "excl-contraindication")

        assert result.status is Truth.NOT_MET
        assert result.attested_by == "Dr. Min-Ji Park"

    def test_attested_met_excludes(self):
        """An attested contraindication makes the child not eligible."""
        data = make_record(attestations=[attestation("excl-contraindication", "met", "2026-06-04")])
        result = screen(data)

        assert result.verdict is Verdict.NOT_ELIGIBLE
        assert result.failing == ["excl-contraindication"]

    def test_unattested_is_unknown_and_needs_review(self):
        """Without an attestation the exclusion is unknown and listed as to attest, with nothing missing."""
        result = screen(make_record(attestations=[]))

        assert result.verdict is Verdict.NEEDS_REVIEW
        assert result.unresolved == ["excl-contraindication"]
        assert result.to_attest == ["excl-contraindication"]
        assert result.missing == []

    def test_attestation_for_another_protocol_is_ignored(self):
        """An attestation made for a different protocol does not settle this protocol's criterion."""
        data = make_record(
            attestations=[attestation("excl-contraindication", "not met", "2026-06-04", "INTERFANT-06")]
        )

        assert criterion(data, "excl-contraindication").status is Truth.UNKNOWN


class TestSteroids:
    def test_course_ending_28_days_before_entry_excludes(self):
        """A systemic course whose last day is exactly 28 days before study entry is inside the window."""
        data = make_record(prior_steroids=[steroid("2026-04-20", "2026-05-08")])

        assert criterion(data, "excl-steroids").status is Truth.MET
        assert screen(data).failing == ["excl-steroids"]

    def test_course_ending_29_days_before_entry_does_not_exclude(self):
        """A systemic course whose last day is 29 days before study entry is outside the window."""
        data = make_record(prior_steroids=[steroid("2026-04-20", "2026-05-07")])

        assert criterion(data, "excl-steroids").status is Truth.NOT_MET

    def test_ongoing_course_excludes(self):
        """A systemic course without an end date that started before entry is ongoing and excludes."""
        data = make_record(prior_steroids=[steroid("2026-01-20", None)])

        assert criterion(data, "excl-steroids").status is Truth.MET

    def test_non_systemic_course_does_not_exclude(self):
        """A topical or inhaled course inside the window does not count."""
        data = make_record(prior_steroids=[steroid("2026-05-20", "2026-06-01", systemic=False)])

        assert criterion(data, "excl-steroids").status is Truth.NOT_MET

    def test_one_systemic_course_in_window_excludes(self):
        """Among several courses, one systemic course in the window suffices."""
        data = make_record(
            prior_steroids=[
                steroid("2026-05-20", "2026-06-01", systemic=False),
                steroid("2026-02-01", "2026-02-10"),
                steroid("2026-05-25", "2026-05-30"),
            ]
        )

        assert criterion(data, "excl-steroids").status is Truth.MET

    def test_unrecorded_history_is_unknown(self):
        """An unrecorded steroid history leaves the exclusion unknown."""
        result = criterion(make_record(prior_steroids=DROP), "excl-steroids")

        assert result.status is Truth.UNKNOWN
        assert result.missing == ("prior_steroids",)

    def test_default_reference_is_study_entry(self):
        """By default a course ending 27 days before diagnosis but 31 days before entry does not count."""
        data = make_record(prior_steroids=[steroid("2026-04-20", "2026-05-05")])

        assert criterion(data, "excl-steroids").status is Truth.NOT_MET

    @pytest.mark.parametrize(
        ("end", "status"),
        [("2026-05-05", Truth.MET), ("2026-05-04", Truth.MET), ("2026-05-03", Truth.NOT_MET)],
    )
    def test_diagnosis_reference_moves_the_window(self, end, status):
        """With the window ending at diagnosis, a course ending up to 28 days before diagnosis counts."""
        protocol = with_parameters(NCT, {"steroid_window_reference": "diagnosis"})
        data = make_record(prior_steroids=[steroid("2026-04-20", end)])
        result = criterion(data, "excl-steroids", protocol)

        assert result.status is status
        assert result.inputs["diagnosis.date"] == "2026-06-01"

    def test_diagnosis_reference_without_diagnosis_date_is_unknown(self):
        """With the window ending at diagnosis, an unrecorded diagnosis date leaves a course undecided."""
        protocol = with_parameters(NCT, {"steroid_window_reference": "diagnosis"})
        data = make_record(diagnosis={"date": DROP}, prior_steroids=[steroid("2026-04-20", "2026-05-05")])
        result = criterion(data, "excl-steroids", protocol)

        assert result.status is Truth.UNKNOWN
        assert result.missing == ("diagnosis.date",)


class TestOtherStudies:
    def test_ongoing_interventional_study_excludes(self):
        """An interventional study without an end date that started before entry excludes."""
        data = make_record(other_studies=[study("2026-05-01", None)])

        assert criterion(data, "excl-other-study").status is Truth.MET
        assert screen(data).failing == ["excl-other-study"]

    def test_study_ended_before_entry_does_not_exclude(self):
        """An interventional study that ended the day before entry does not exclude."""
        data = make_record(other_studies=[study("2026-05-01", "2026-06-04")])

        assert criterion(data, "excl-other-study").status is Truth.NOT_MET

    def test_study_ending_on_entry_day_excludes(self):
        """An interventional study whose last day is the study entry day is still ongoing at entry."""
        data = make_record(other_studies=[study("2026-05-01", "2026-06-05")])

        assert criterion(data, "excl-other-study").status is Truth.MET

    def test_observational_study_does_not_exclude(self):
        """An ongoing observational study does not exclude."""
        data = make_record(other_studies=[study("2026-05-01", None, interventional=False)])

        assert criterion(data, "excl-other-study").status is Truth.NOT_MET

    def test_unrecorded_is_unknown(self):
        """Unrecorded study participation leaves the exclusion unknown."""
        result = criterion(make_record(other_studies=DROP), "excl-other-study")

        assert result.status is Truth.UNKNOWN
        assert result.missing == ("other_studies",)


class TestVerdict:
    def test_failing_criterion_wins_over_unknowns(self):
        """A child with a met exclusion is not eligible even when other criteria are unknown."""
        result = screen(make_record(relapse_status="first relapse", syndromes=DROP, attestations=[]))

        assert result.verdict is Verdict.NOT_ELIGIBLE
        assert result.failing == ["excl-relapsed"]
        assert result.unresolved == ["excl-syndromes", "excl-contraindication"]

    def test_only_unknowns_need_review(self):
        """With nothing failing and some criteria unknown, the verdict is needs review with the gaps named."""
        result = screen(make_record(consent=DROP, syndromes=DROP, attestations=[]))

        assert result.verdict is Verdict.NEEDS_REVIEW
        assert result.failing == []
        assert result.unresolved == ["incl-consent", "excl-syndromes", "excl-contraindication"]
        assert result.missing == ["consent.given_by", "consent.date", "syndromes"]
        assert result.to_attest == ["excl-contraindication"]

    def test_unmet_exclusion_does_not_block(self):
        """An exclusion that is not met does not count as failing."""
        result = screen(make_record())

        assert all(not c.blocks for c in result.criteria if c.kind == "exclusion")

    def test_unmet_inclusion_blocks(self):
        """An inclusion that is not met counts as failing."""
        result = screen(make_record(diagnosis={"who_type": "AML"}))

        assert result.failing == ["incl-diagnosis"]


class TestAttestations:
    def test_attestation_resolves_unknown_automatic_criterion(self):
        """An attestation settles an automatic criterion that the record cannot decide."""
        data = make_record(syndromes=DROP)
        data["attestations"].append(attestation("excl-syndromes", "not met", "2026-06-04"))
        result = screen(data)
        syndromes = criterion(data, "excl-syndromes")

        assert result.verdict is Verdict.ELIGIBLE
        assert syndromes.status is Truth.NOT_MET
        assert (
            "because the record cannot decide it (predisposition syndromes: not recorded)" in syndromes.reason
        )

    def test_attestation_does_not_override_determinate_criterion(self):
        """An attestation does not change a criterion that the record decides."""
        data = make_record(syndromes=["Down syndrome"])
        data["attestations"].append(attestation("excl-syndromes", "not met", "2026-06-04"))
        syndromes = criterion(data, "excl-syndromes")

        assert syndromes.status is Truth.MET
        assert syndromes.attested_by is None
        assert screen(data).verdict is Verdict.NOT_ELIGIBLE

    def test_disregarded_attestation_is_mentioned(self):
        """When the record decides, the reason says that the attestation was disregarded."""
        data = make_record(syndromes=["Down syndrome"])
        data["attestations"].append(attestation("excl-syndromes", "not met", "2026-06-04"))

        assert "disregarded" in criterion(data, "excl-syndromes").reason

    def test_attested_unknown_keeps_its_trace(self):
        """An attestation that settles an unknown keeps the expression trace of what was read."""
        data = make_record(syndromes=DROP)
        data["attestations"].append(attestation("excl-syndromes", "not met", "2026-06-04"))
        payload = criterion(data, "excl-syndromes").to_dict()

        assert payload["trace"]["outcome"] == "unknown"
        assert payload["inputs"]["syndromes"] is None

    def test_attestation_naming_no_criterion_is_refused(self):
        """An attestation for this protocol with an unknown criterion id is refused, naming it."""
        data = make_record()
        data["attestations"].append(attestation("excl-contraindicaton", "not met", "2026-06-04"))

        with pytest.raises(InputError) as caught:
            screen(data)
        assert caught.value.problems[0].field == "attestations[1].criterion_id"
        assert "excl-contraindicaton" in caught.value.problems[0].problem

    def test_attestation_for_another_protocol_is_not_checked(self):
        """Attestations made for other protocols are left alone."""
        data = make_record()
        data["attestations"].append(attestation("anything", "met", "2026-06-04", protocol_id="OTHER-1"))

        assert screen(data).verdict is Verdict.ELIGIBLE

    @pytest.mark.parametrize("reverse", [False, True])
    def test_latest_attestation_wins(self, reverse):
        """Of two attestations of one criterion the later date counts, whatever the list order."""
        attestations = [
            attestation("excl-contraindication", "not met", "2026-06-01"),
            attestation("excl-contraindication", "met", "2026-06-04"),
        ]
        if reverse:
            attestations.reverse()

        assert criterion(make_record(attestations=attestations), "excl-contraindication").status is Truth.MET


class TestJSON:
    def test_verdict_is_a_string(self):
        """The JSON form gives the verdict as its plain string."""
        assert screen(make_record()).to_dict()["verdict"] == "eligible"

    def test_criteria_carry_id_kind_status_text_reason(self):
        """Each criterion in the JSON form has its id, kind, status, verbatim text and a reason."""
        criteria = screen(make_record(syndromes=DROP)).to_dict()["criteria"]

        assert [c.id for c in NCT.eligibility] == [c["id"] for c in criteria]
        for rendered, encoded in zip(criteria, NCT.eligibility, strict=True):
            assert encoded.kind.value == rendered["kind"]
            assert encoded.text == rendered["text"]
            assert rendered["status"] in {"met", "not met", "unknown"}
            assert isinstance(rendered["reason"], str)
            assert rendered["reason"]
        assert criteria[4]["status"] == "unknown"

    def test_serialises_to_json(self):
        """The JSON form holds only JSON types, so it survives a round trip unchanged."""
        rendered = screen(make_record(prior_steroids=[steroid("2026-04-20", None)])).to_dict()

        assert rendered == json.loads(json.dumps(rendered))


class TestBatch:
    def test_batch_equals_one_by_one(self):
        """Screening several records at once gives the same results as screening each alone."""
        records = [
            parse(make_record()),
            parse(make_record(syndromes=DROP)),
            parse(make_record(relapse_status="first relapse")),
        ]

        assert [screen_patient(r, NCT, as_of=TODAY) for r in records] == screen_patients(
            records, NCT, as_of=TODAY
        )


class TestProtocolWithoutEligibility:
    def test_interfant_screening_raises(self):
        """Screening against Interfant-06, which encodes no eligibility, raises an input error."""
        with pytest.raises(InputError) as info:
            screen(make_record(), load_protocol("INTERFANT-06"))

        assert [problem.field for problem in info.value.problems] == ["INTERFANT-06"]
