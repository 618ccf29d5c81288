"""Tests for remission.rules.mrd: classifying MRD results at one time point."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from remission.record.model import MRDResult
from remission.record.vocabulary import MRDMethod, MRDTimePoint
from remission.rules.mrd import DisagreementPolicy, MRDCall, MRDRules, PNQPolicy, call_one, classify_mrd

EOI = MRDTimePoint.END_OF_INDUCTION
FLOW = MRDMethod.FLOW_CYTOMETRY
PCR = MRDMethod.IG_TR_RQ_PCR
NGS = MRDMethod.NGS

RULES = MRDRules(
    threshold_fraction=1e-4,
    positive_at_threshold=True,
    pnq=PNQPolicy.POSITIVE,
    require_sensitivity_for_negative=True,
    policy=DisagreementPolicy.ANY_POSITIVE,
)


def _rules(**changes: Any) -> MRDRules:
    return dataclasses.replace(RULES, **changes)


def _result(
    value: float | None = None,
    *,
    sensitivity: float | None = 1e-5,
    method: MRDMethod = FLOW,
    time_point: MRDTimePoint = EOI,
    pnq: bool = False,
) -> MRDResult:
    return MRDResult(
        time_point=time_point,
        method=method,
        sample_date="2025-07-20",
        value_fraction=value,
        positive_not_quantifiable=pnq,
        sensitivity_fraction=sensitivity,
    )


class TestCallOne:
    def test_above_threshold_is_positive(self):
        """A value above the threshold is positive."""
        assert call_one(_result(2e-4), RULES)[0] is MRDCall.POSITIVE

    def test_at_threshold_positive_when_inclusive(self):
        """A value equal to the threshold is positive when positive_at_threshold is true."""
        assert call_one(_result(1e-4), RULES)[0] is MRDCall.POSITIVE

    def test_at_threshold_negative_when_exclusive(self):
        """A value equal to the threshold is negative when positive_at_threshold is false."""
        assert call_one(_result(1e-4), _rules(positive_at_threshold=False))[0] is MRDCall.NEGATIVE

    def test_at_threshold_exclusive_needs_sensitivity(self):
        """At the threshold with an exclusive comparison, a too coarse sensitivity is indeterminate."""
        result = _result(1e-4, sensitivity=1e-3)

        assert call_one(result, _rules(positive_at_threshold=False))[0] is MRDCall.INDETERMINATE

    def test_below_threshold_with_fine_sensitivity_is_negative(self):
        """A value below the threshold with sensitivity finer than it is negative."""
        assert call_one(_result(5e-5, sensitivity=1e-5), RULES)[0] is MRDCall.NEGATIVE

    def test_sensitivity_equal_to_threshold_suffices(self):
        """A sensitivity exactly at the threshold can show a negative result."""
        assert call_one(_result(0.0, sensitivity=1e-4), RULES)[0] is MRDCall.NEGATIVE

    def test_not_detected_is_negative(self):
        """A value of 0 (not detected) with adequate sensitivity is negative."""
        assert call_one(_result(0.0), RULES)[0] is MRDCall.NEGATIVE

    def test_missing_sensitivity_indeterminate_when_required(self):
        """Below threshold without a stated sensitivity is indeterminate when sensitivity is required."""
        call, why = call_one(_result(0.0, sensitivity=None), RULES)

        assert (call, "sensitivity not stated" in why) == (MRDCall.INDETERMINATE, True)

    def test_coarse_sensitivity_indeterminate_when_required(self):
        """Below threshold with a sensitivity worse than the threshold is indeterminate when required."""
        call, why = call_one(_result(0.0, sensitivity=1e-3), RULES)

        assert (call, "sensitivity 0.001" in why) == (MRDCall.INDETERMINATE, True)

    def test_missing_sensitivity_negative_when_not_required(self):
        """Below threshold without a sensitivity is negative when sensitivity is not required."""
        result = _result(0.0, sensitivity=None)

        assert call_one(result, _rules(require_sensitivity_for_negative=False))[0] is MRDCall.NEGATIVE

    def test_coarse_sensitivity_negative_when_not_required(self):
        """Below threshold with a coarse sensitivity is negative when sensitivity is not required."""
        result = _result(0.0, sensitivity=1e-2)

        assert call_one(result, _rules(require_sensitivity_for_negative=False))[0] is MRDCall.NEGATIVE

    def test_positive_needs_no_sensitivity(self):
        """A value above the threshold is positive whatever the sensitivity."""
        assert call_one(_result(1e-2, sensitivity=None), RULES)[0] is MRDCall.POSITIVE

    @pytest.mark.parametrize("policy", list(PNQPolicy))
    def test_pnq_counts_per_policy(self, policy):
        """ "Positive, not quantifiable" is called as the protocol's PNQ policy says."""
        call, why = call_one(_result(pnq=True), _rules(pnq=policy))

        assert (policy.value, f"positive, not quantifiable (counted {policy.value})") == (call.value, why)

    def test_reason_names_value_and_threshold(self):
        """The reason gives the value and the threshold."""
        assert call_one(_result(2e-4), RULES)[1] == "0.0002 vs threshold 0.0001"


class TestClassifyMRD:
    def test_no_result_is_indeterminate(self):
        """Without a result at the time point the call is indeterminate."""
        finding = classify_mrd([], EOI, RULES)

        assert (
            finding.call,
            finding.explanation,
            finding.results_read,
        ) == (MRDCall.INDETERMINATE, "no MRD result end of induction", ())

    def test_other_time_points_ignored(self):
        """Results at other time points do not count."""
        results = [_result(0.5, time_point=MRDTimePoint.FOLLOW_UP), _result(0.0)]

        assert classify_mrd(results, EOI, RULES).call is MRDCall.NEGATIVE

    def test_only_other_time_points_is_indeterminate(self):
        """Results at other time points alone leave the time point indeterminate."""
        results = [_result(0.0, time_point=MRDTimePoint.AFTER_CONSOLIDATION_1)]

        assert classify_mrd(results, EOI, RULES).call is MRDCall.INDETERMINATE

    def test_results_read_are_the_time_points_results(self):
        """results_read holds the JSON form of each result at the time point only."""
        results = [_result(0.5, time_point=MRDTimePoint.FOLLOW_UP), _result(0.0, method=PCR)]

        read = classify_mrd(results, EOI, RULES).results_read

        assert [(r["method"], r["time_point"]) for r in read] == [("IG/TR RQ-PCR", "end of induction")]

    def test_explanation_lists_each_method_and_the_policy(self):
        """The explanation gives each method's call and the combined call with the policy."""
        finding = classify_mrd([_result(2e-4), _result(0.0, method=PCR)], EOI, RULES)

        assert finding.explanation == (
            "flow cytometry: positive (0.0002 vs threshold 0.0001); "
            "IG/TR RQ-PCR: negative (0 vs threshold 0.0001) → positive (any_positive)"
        )


class TestAnyPositive:
    def test_one_positive_wins(self):
        """One positive method makes the time point positive."""
        results = [_result(0.0, method=FLOW), _result(2e-4, method=PCR)]

        assert classify_mrd(results, EOI, RULES).call is MRDCall.POSITIVE

    def test_positive_beats_indeterminate(self):
        """A positive result wins over an indeterminate one."""
        results = [_result(0.0, sensitivity=None, method=FLOW), _result(2e-4, method=PCR)]

        assert classify_mrd(results, EOI, RULES).call is MRDCall.POSITIVE

    def test_all_negative_is_negative(self):
        """When every method is negative the time point is negative."""
        results = [_result(0.0, method=FLOW), _result(1e-5, method=PCR)]

        assert classify_mrd(results, EOI, RULES).call is MRDCall.NEGATIVE

    def test_negative_and_indeterminate_is_indeterminate(self):
        """A negative and an indeterminate result together are indeterminate."""
        results = [_result(0.0, method=FLOW), _result(0.0, sensitivity=None, method=PCR)]

        assert classify_mrd(results, EOI, RULES).call is MRDCall.INDETERMINATE


class TestMethodPriority:
    RULES = _rules(policy=DisagreementPolicy.METHOD_PRIORITY, method_priority=(PCR, FLOW))

    def test_first_method_decides(self):
        """The first method in the priority list with a call decides, even against others."""
        results = [_result(2e-4, method=FLOW), _result(0.0, method=PCR)]

        assert classify_mrd(results, EOI, self.RULES).call is MRDCall.NEGATIVE

    def test_indeterminate_first_method_falls_through(self):
        """An indeterminate first method passes the decision to the next method."""
        results = [_result(2e-4, method=FLOW), _result(0.0, sensitivity=None, method=PCR)]

        assert classify_mrd(results, EOI, self.RULES).call is MRDCall.POSITIVE

    def test_absent_first_method_falls_through(self):
        """Without a result of the first method the next method decides."""
        assert classify_mrd([_result(0.0, method=FLOW)], EOI, self.RULES).call is MRDCall.NEGATIVE

    def test_method_disagreeing_with_itself_is_indeterminate(self):
        """Two results of one method with different calls make the time point indeterminate."""
        results = [_result(2e-4, method=PCR), _result(0.0, method=PCR), _result(0.0, method=FLOW)]

        assert classify_mrd(results, EOI, self.RULES).call is MRDCall.INDETERMINATE

    def test_method_agreeing_with_itself_decides(self):
        """Two results of one method with the same call decide."""
        results = [_result(2e-4, method=PCR), _result(3e-4, method=PCR), _result(0.0, method=FLOW)]

        assert classify_mrd(results, EOI, self.RULES).call is MRDCall.POSITIVE

    def test_unlisted_methods_are_not_used(self):
        """A method missing from the priority list cannot decide."""
        assert classify_mrd([_result(2e-4, method=NGS)], EOI, self.RULES).call is MRDCall.INDETERMINATE

    def test_nothing_decided_is_indeterminate(self):
        """When no listed method has a call the time point is indeterminate."""
        results = [_result(0.0, sensitivity=None, method=PCR), _result(0.0, sensitivity=None, method=FLOW)]

        assert classify_mrd(results, EOI, self.RULES).call is MRDCall.INDETERMINATE
