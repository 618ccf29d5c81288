"""Classifying MRD results at one time point as positive, negative or indeterminate.

The threshold, the comparison at the threshold, how "positive, not quantifiable"
counts, and the policy when methods disagree are parameters of the protocol, not
constants here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from remission.record.model import MRDResult
from remission.record.vocabulary import MRDMethod, MRDTimePoint


class MRDCall(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    INDETERMINATE = "indeterminate"


class DisagreementPolicy(StrEnum):
    """How results of several methods at one time point combine."""

    ANY_POSITIVE = "any_positive"  # positive if any valid method is positive
    METHOD_PRIORITY = "method_priority"  # the first method in ``method_priority`` with a call


class PNQPolicy(StrEnum):
    """How a "positive, not quantifiable" result counts against the threshold."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    INDETERMINATE = "indeterminate"


@dataclass(frozen=True, slots=True)
class MRDRules:
    """The protocol's MRD parameters."""

    threshold_fraction: float
    positive_at_threshold: bool
    pnq: PNQPolicy
    require_sensitivity_for_negative: bool
    policy: DisagreementPolicy
    method_priority: tuple[MRDMethod, ...] = ()
    #: Attribute name to the protocol parameter it was read from, for explanations.
    parameters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MRDFinding:
    """The combined call at a time point and why."""

    call: MRDCall
    explanation: str
    results_read: tuple[dict[str, object], ...]
    calls: tuple[tuple[MRDResult, MRDCall, str], ...] = ()


def call_one(result: MRDResult, rules: MRDRules) -> tuple[MRDCall, str]:
    """The call of a single measurement, with its reason."""
    if result.positive_not_quantifiable:
        return MRDCall(rules.pnq.value), f"positive, not quantifiable (counted {rules.pnq.value})"
    value = result.value_fraction
    assert value is not None  # guaranteed by MRDResult's validator
    above = value > rules.threshold_fraction or (
        rules.positive_at_threshold and value == rules.threshold_fraction
    )
    if above:
        return MRDCall.POSITIVE, f"{value:g} vs threshold {rules.threshold_fraction:g}"
    sensitivity = result.sensitivity_fraction
    if rules.require_sensitivity_for_negative and (
        sensitivity is None or sensitivity > rules.threshold_fraction
    ):
        stated = "not stated" if sensitivity is None else f"{sensitivity:g}"
        return MRDCall.INDETERMINATE, (
            f"{value:g} below threshold {rules.threshold_fraction:g}, but sensitivity "
            f"{stated} cannot show a level below the threshold"
        )
    return MRDCall.NEGATIVE, f"{value:g} vs threshold {rules.threshold_fraction:g}"


def _combine_any_positive(calls: list[tuple[MRDResult, MRDCall, str]]) -> MRDCall:
    kinds = {call for _, call, _ in calls}
    if MRDCall.POSITIVE in kinds:
        return MRDCall.POSITIVE
    if kinds == {MRDCall.NEGATIVE}:
        return MRDCall.NEGATIVE
    return MRDCall.INDETERMINATE


def _combine_by_priority(
    calls: list[tuple[MRDResult, MRDCall, str]], priority: Sequence[MRDMethod]
) -> MRDCall:
    for method in priority:
        decided = {call for result, call, _ in calls if result.method is method}
        decided.discard(MRDCall.INDETERMINATE)
        if len(decided) == 1:
            return decided.pop()
        if len(decided) > 1:
            return MRDCall.INDETERMINATE  # the same method disagrees with itself
    return MRDCall.INDETERMINATE


def classify_mrd(results: Sequence[MRDResult], time_point: MRDTimePoint, rules: MRDRules) -> MRDFinding:
    """Combine every result at ``time_point`` into one call; no result means indeterminate."""
    at_point = [result for result in results if result.time_point is time_point]
    if not at_point:
        return MRDFinding(MRDCall.INDETERMINATE, f"no MRD result {time_point.value}", ())
    calls = [(result, *call_one(result, rules)) for result in at_point]
    if rules.policy is DisagreementPolicy.ANY_POSITIVE:
        combined = _combine_any_positive(calls)
    else:
        combined = _combine_by_priority(calls, rules.method_priority)
    parts = [f"{result.method.value}: {call.value} ({why})" for result, call, why in calls]
    read = tuple(result.model_dump(mode="json") for result in at_point)
    explanation = f"{'; '.join(parts)} → {combined.value} ({rules.policy.value})"
    return MRDFinding(combined, explanation, read, tuple(calls))
