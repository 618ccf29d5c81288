"""Risk stratification under NCT06516679 and Interfant-06: groups, arms, pending data and traces."""

from __future__ import annotations

import json
from typing import Any

import pytest

from remission.errors import InputError
from remission.protocols import (
    PENDING,
    Protocol,
    ProtocolError,
    StratificationResult,
    load_protocol,
    parse_protocol,
    stratify_patient,
    stratify_patients,
    with_parameters,
)
from support.records import DROP, TODAY, make_record, parse

NCT = load_protocol("NCT06516679")
INTERFANT = load_protocol("INTERFANT-06")
MRD_KEY = "mrd[after consolidation 1]"


def stratify(data: dict[str, Any], protocol: Protocol = NCT) -> StratificationResult:
    return stratify_patient(parse(data), protocol, as_of=TODAY)


def mrd(
    value: float | None,
    *,
    method: str = "flow cytometry",
    sensitivity: float | None = 1e-5,
    time_point: str = "after consolidation 1",
) -> dict[str, Any]:
    """One MRD result; ``value=None`` means positive, not quantifiable."""
    result: dict[str, Any] = {"time_point": time_point, "method": method, "sample_date": "2026-08-03"}
    if value is None:
        result["positive_not_quantifiable"] = True
    else:
        result["value_fraction"] = value
    if sensitivity is not None:
        result["sensitivity_fraction"] = sensitivity
    return result


def infant(kmt2a: str | None, *results: dict[str, Any]) -> dict[str, Any]:
    """The base record with a KMT2A status (``None``: not recorded) and these MRD results."""
    return make_record(genetics={"kmt2a": {"status": kmt2a if kmt2a else DROP}}, mrd=list(results))


def with_method_priority(*methods: str) -> Protocol:
    """NCT06516679 with the method-priority policy and an added ``mrd_method_priority`` parameter."""
    data = NCT.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["parameters"]["mrd_disagreement_policy"]["value"] = "method_priority"
    data["parameters"]["mrd_method_priority"] = {
        "value": list(methods),
        "description": "MRD methods in order of precedence.",
        "assumption": True,
    }
    return parse_protocol(data, source="test")


class TestRiskGroups:
    @pytest.mark.parametrize(
        ("kmt2a", "value", "group", "arm"),
        [
            ("germline", 0.0, "LR", "LR-arm"),
            ("germline", 1e-3, "IR", "IR-arm"),
            ("rearranged", 0.0, "IR", "IR-arm"),
            ("rearranged", 1e-3, "HR", "HR-arm"),
        ],
    )
    def test_kmt2a_and_mrd_decide_group_and_arm(self, kmt2a, value, group, arm):
        """KMT2A status × MRD after consolidation 1 gives the registry's risk group and its arm."""
        result = stratify(infant(kmt2a, mrd(value)))

        assert (group, arm) == (result.risk_group, result.arm)
        assert result.missing == []

    def test_mrd_exactly_at_threshold_is_positive(self):
        """MRD of exactly 10⁻⁴ counts as positive, so a germline infant is IR."""
        assert stratify(infant("germline", mrd(1e-4))).risk_group == "IR"

    def test_mrd_just_below_threshold_is_negative(self):
        """MRD just below 10⁻⁴, measured sensitively enough, counts as negative."""
        assert stratify(infant("germline", mrd(9.9e-5))).risk_group == "LR"

    def test_sensitivity_exactly_at_threshold_suffices(self):
        """A negative result whose sensitivity is exactly 10⁻⁴ can rule out MRD at the threshold."""
        assert stratify(infant("germline", mrd(0.0, sensitivity=1e-4))).risk_group == "LR"

    def test_other_time_points_do_not_decide(self):
        """A positive MRD at the end of induction does not change the group set after consolidation 1."""
        data = infant("germline", mrd(0.05, time_point="end of induction"), mrd(0.0))

        assert stratify(data).risk_group == "LR"


class TestPending:
    def test_missing_mrd_is_pending(self):
        """Without MRD after consolidation 1 the group is pending, has no arm, and names the MRD."""
        result = stratify(infant("germline"))

        assert (result.risk_group, result.arm) == (PENDING, None)
        assert result.missing == [MRD_KEY]

    def test_mrd_at_other_time_point_only_is_pending(self):
        """An MRD result from the end of induction alone does not settle the group."""
        result = stratify(infant("rearranged", mrd(0.0, time_point="end of induction")))

        assert result.risk_group == PENDING
        assert result.missing == [MRD_KEY]

    def test_positive_not_quantifiable_is_pending(self):
        """A positive, not quantifiable MRD is indeterminate by default and the group stays pending."""
        result = stratify(infant("germline", mrd(None)))

        assert result.risk_group == PENDING
        assert result.missing == [MRD_KEY]

    @pytest.mark.parametrize("sensitivity", [1e-3, None])
    def test_negative_without_adequate_sensitivity_is_pending(self, sensitivity):
        """An undetectable MRD whose sensitivity is coarser than 10⁻⁴ or unstated is not a negative."""
        result = stratify(infant("germline", mrd(0.0, sensitivity=sensitivity)))

        assert result.risk_group == PENDING
        assert result.missing == [MRD_KEY]

    @pytest.mark.parametrize("value", [0.0, 1e-3])
    def test_unknown_kmt2a_is_pending(self, value):
        """Without a KMT2A status the group is pending whatever the MRD, and the status is named."""
        result = stratify(infant(None, mrd(value)))

        assert result.risk_group == PENDING
        assert result.missing == ["genetics.kmt2a.status"]

    def test_unknown_kmt2a_and_mrd_names_both(self):
        """With neither KMT2A status nor MRD, both are named as missing."""
        result = stratify(infant(None))

        assert result.risk_group == PENDING
        assert {"genetics.kmt2a.status", MRD_KEY} == set(result.missing)


class TestParameters:
    def test_not_positive_at_threshold(self):
        """With mrd_positive_at_threshold false, MRD of exactly 10⁻⁴ is negative."""
        protocol = with_parameters(NCT, {"mrd_positive_at_threshold": False})

        assert stratify(infant("germline", mrd(1e-4)), protocol).risk_group == "LR"

    @pytest.mark.parametrize(("threshold", "group"), [(1e-4, "IR"), (1e-3, "LR")])
    def test_threshold_fraction(self, threshold, group):
        """MRD of 5×10⁻⁴ is positive at the default threshold and negative at 10⁻³."""
        protocol = with_parameters(NCT, {"mrd_threshold_fraction": threshold})

        assert group == stratify(infant("germline", mrd(5e-4)), protocol).risk_group

    @pytest.mark.parametrize(("counts_as", "group"), [("positive", "IR"), ("negative", "LR")])
    def test_pnq_counts_as(self, counts_as, group):
        """mrd_pnq_counts_as decides how a positive, not quantifiable result counts."""
        protocol = with_parameters(NCT, {"mrd_pnq_counts_as": counts_as})

        assert group == stratify(infant("germline", mrd(None)), protocol).risk_group

    def test_overrides_leave_the_shipped_protocol_alone(self):
        """with_parameters returns a copy; the shipped protocol keeps its values."""
        changed = with_parameters(NCT, {"mrd_threshold_fraction": 1e-3})

        assert changed.parameters["mrd_threshold_fraction"].value == 1e-3
        assert load_protocol("NCT06516679").parameters["mrd_threshold_fraction"].value == 1e-4

    @pytest.mark.parametrize(
        ("priority", "group"),
        [(("IG/TR RQ-PCR", "flow cytometry"), "IR"), (("flow cytometry", "IG/TR RQ-PCR"), "LR")],
    )
    def test_method_priority(self, priority, group):
        """Under method_priority the first listed method with a call decides a disagreement."""
        data = infant("germline", mrd(0.0), mrd(1e-3, method="IG/TR RQ-PCR"))

        assert group == stratify(data, with_method_priority(*priority)).risk_group

    def test_method_priority_skips_undecided_method(self):
        """Under method_priority an indeterminate first method gives way to the next one."""
        data = infant("germline", mrd(0.0, sensitivity=1e-3), mrd(1e-3, method="IG/TR RQ-PCR"))

        assert stratify(data, with_method_priority("flow cytometry", "IG/TR RQ-PCR")).risk_group == "IR"

    def test_method_priority_needs_a_priority(self):
        """Switching to method_priority without a method order is refused, naming the missing parameter."""
        with pytest.raises(ProtocolError) as info:
            with_parameters(NCT, {"mrd_disagreement_policy": "method_priority"})

        assert "parameters.mrd_method_priority" in [p.field for p in info.value.problems]


class TestDisagreement:
    def test_any_positive_method_makes_positive(self):
        """Flow cytometry negative and PCR positive at one time point count as positive by default."""
        data = infant("germline", mrd(0.0), mrd(1e-3, method="IG/TR RQ-PCR"))

        assert stratify(data).risk_group == "IR"

    def test_agreeing_negatives_are_negative(self):
        """Two methods that both show a sensitive negative count as negative."""
        data = infant("rearranged", mrd(0.0), mrd(0.0, method="KMT2A-fusion qPCR"))

        assert stratify(data).risk_group == "IR"


class TestProvisionalTrack:
    @pytest.mark.parametrize(
        ("kmt2a", "track"), [("germline", "germline-track"), ("rearranged", "rearranged-track")]
    )
    def test_track_at_diagnosis_before_mrd(self, kmt2a, track):
        """At diagnosis the KMT2A status gives a provisional track while the final group is pending."""
        result = stratify(infant(kmt2a))

        assert (track, PENDING) == (result.provisional_track, result.risk_group)

    def test_no_track_without_kmt2a(self):
        """Without a KMT2A status there is no provisional track and the diagnosis time point is pending."""
        result = stratify(infant(None))

        assert result.provisional_track is None
        assert result.time_points[0].outcome == PENDING

    def test_germline_to_ir_reports_track_change(self):
        """A germline infant who becomes IR received low-risk consolidation 1, which the IR arm lacks."""
        result = stratify(infant("germline", mrd(1e-3)))

        assert result.track_change == {
            "from_track": "germline-track",
            "to_arm": "IR-arm",
            "phases_not_in_arm": ["lr_consolidation_1"],
            "continues_with": [
                "hr_consolidation_1",
                "hr_consolidation_2",
                "hr_consolidation_3",
                "consolidation_4_with_daunorubicin",
                "maintenance",
            ],
        }

    @pytest.mark.parametrize(
        ("kmt2a", "value"), [("germline", 0.0), ("rearranged", 0.0), ("rearranged", 1e-3)]
    )
    def test_no_track_change_when_arm_continues_track(self, kmt2a, value):
        """When the final arm contains every phase of the provisional track, no change is reported."""
        assert stratify(infant(kmt2a, mrd(value))).track_change is None


class TestTrace:
    def test_trace_lists_every_rule(self):
        """The trace lists every rule of every time point with its id, in protocol order."""
        trace = stratify(infant("germline", mrd(0.0))).to_dict()["trace"]

        assert [rule["rule"] for rule in trace] == [
            "diagnosis:rearranged-track",
            "diagnosis:germline-track",
            "after_consolidation_1:HR",
            "after_consolidation_1:IR",
            "after_consolidation_1:LR",
        ]

    def test_trace_gives_status_of_each_rule(self):
        """Each rule's status shows which rule decided."""
        trace = stratify(infant("germline", mrd(0.0))).to_dict()["trace"]

        assert [rule["status"] for rule in trace] == ["not met", "met", "not met", "not met", "met"]

    def test_trace_gives_inputs_read(self):
        """A final rule lists the KMT2A status and the MRD results it read."""
        trace = stratify(infant("rearranged", mrd(1e-3))).to_dict()["trace"]
        hr = trace[2]

        assert hr["inputs"]["genetics.kmt2a.status"] == "rearranged"
        assert [r["value_fraction"] for r in hr["inputs"][MRD_KEY]] == [1e-3]

    def test_pending_rule_is_unknown_in_trace(self):
        """When MRD is missing the first undecided rule shows as unknown."""
        trace = stratify(infant("rearranged")).to_dict()["trace"]

        assert trace[2]["status"] == "unknown"


class TestInterfant:
    @staticmethod
    def record(**overrides: Any) -> dict[str, Any]:
        """A KMT2A-r infant of 4 months, low WBC, good prednisone response; overrides replace keys."""
        base = {
            "genetics": {"kmt2a": {"status": "rearranged", "partner": "AFF1"}},
            "wbc_at_diagnosis_1e9_per_l": 42.0,
            "prednisone_response": "good",
        }
        return make_record(**(base | overrides))

    @pytest.mark.parametrize(("wbc", "group"), [(300.0, "HR"), (299.9, "MR"), (812.0, "HR")])
    def test_wbc_limit(self, wbc, group):
        """A young KMT2A-r infant is HR from a WBC of 300×10⁹/L inclusive."""
        result = stratify(self.record(wbc_at_diagnosis_1e9_per_l=wbc), INTERFANT)

        assert group == result.risk_group

    def test_poor_prednisone_response_is_hr(self):
        """A young KMT2A-r infant with a poor prednisone response is HR despite a low WBC."""
        assert stratify(self.record(prednisone_response="poor"), INTERFANT).risk_group == "HR"

    @pytest.mark.parametrize(("diagnosed", "group"), [("2026-07-14", "HR"), ("2026-07-15", "MR")])
    def test_age_limit(self, diagnosed, group):
        """At exactly 6 completed months a KMT2A-r infant is MR, one day earlier HR."""
        data = self.record(diagnosis={"date": diagnosed}, wbc_at_diagnosis_1e9_per_l=350.0)

        assert group == stratify(data, INTERFANT).risk_group

    def test_germline_is_lr(self):
        """A KMT2A-germline infant is LR even with a high WBC and a poor prednisone response."""
        data = self.record(
            genetics={"kmt2a": {"status": "germline"}},
            wbc_at_diagnosis_1e9_per_l=350.0,
            prednisone_response="poor",
        )

        assert stratify(data, INTERFANT).risk_group == "LR"

    def test_groups_have_no_arm(self):
        """Interfant-06 encodes no arms, so a decided group has none."""
        result = stratify(self.record(), INTERFANT)

        assert (result.risk_group, result.arm) == ("MR", None)

    def test_missing_prednisone_response_is_pending(self):
        """A young KMT2A-r infant with WBC below 300 waits for the prednisone response."""
        result = stratify(self.record(prednisone_response=DROP), INTERFANT)

        assert result.risk_group == PENDING
        assert result.missing == ["prednisone_response"]

    def test_high_wbc_does_not_wait_for_prednisone(self):
        """With a WBC of 300 or more the prednisone response is not needed for HR."""
        data = self.record(prednisone_response=DROP, wbc_at_diagnosis_1e9_per_l=300.0)
        result = stratify(data, INTERFANT)

        assert (result.risk_group, result.missing) == ("HR", [])

    def test_missing_kmt2a_is_pending(self):
        """Without a KMT2A status the Interfant-06 group is pending."""
        data = self.record(genetics={"kmt2a": {"status": DROP}})
        result = stratify(data, INTERFANT)

        assert result.risk_group == PENDING
        assert "genetics.kmt2a.status" in result.missing


class TestDeterminism:
    def test_same_input_same_output(self):
        """Stratifying the same record twice gives identical JSON."""
        data = infant("germline", mrd(1e-3), mrd(0.0, method="NGS"))

        assert stratify(data).to_dict() == stratify(data).to_dict()

    def test_output_is_json(self):
        """The JSON form holds only JSON types, so it survives a round trip unchanged."""
        rendered = stratify(infant("germline", mrd(1e-3))).to_dict()

        assert rendered == json.loads(json.dumps(rendered))

    def test_batch_equals_one_by_one(self):
        """Stratifying several records at once gives the same results as one by one."""
        records = [parse(infant("germline", mrd(0.0))), parse(infant("rearranged")), parse(infant(None))]

        assert [stratify_patient(r, NCT, as_of=TODAY) for r in records] == stratify_patients(
            records, NCT, as_of=TODAY
        )


class TestProtocolWithoutStratification:
    def test_raises(self):
        """A protocol that encodes no risk groups cannot stratify."""
        data = NCT.model_dump(mode="json", by_alias=True, exclude_none=True)
        del data["stratification"]
        protocol = parse_protocol(data, source="test")

        with pytest.raises(InputError) as info:
            stratify(make_record(), protocol)

        assert [p.field for p in info.value.problems] == ["NCT06516679"]
