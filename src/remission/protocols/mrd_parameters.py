"""Reading a protocol's MRD parameters into :class:`~remission.rules.MRDRules`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from remission.record.vocabulary import MRDMethod
from remission.rules.mrd import DisagreementPolicy, MRDRules, PNQPolicy

#: The parameter names a protocol uses for MRD, with what each must hold.
MRD_PARAMETERS = {
    "mrd_threshold_fraction": "a fraction above 0 and at most 1",
    "mrd_positive_at_threshold": "true or false",
    "mrd_pnq_counts_as": f"one of {[p.value for p in PNQPolicy]}",
    "mrd_negative_requires_sensitivity": "true or false",
    "mrd_disagreement_policy": f"one of {[p.value for p in DisagreementPolicy]}",
}
#: Each attribute of :class:`MRDRules` and the parameter it is read from.
RULE_PARAMETERS = {
    "threshold_fraction": "mrd_threshold_fraction",
    "positive_at_threshold": "mrd_positive_at_threshold",
    "pnq": "mrd_pnq_counts_as",
    "require_sensitivity_for_negative": "mrd_negative_requires_sensitivity",
    "policy": "mrd_disagreement_policy",
    "method_priority": "mrd_method_priority",
}
OPTIONAL_MRD_PARAMETERS = {"mrd_method_priority": f"a list of {[m.value for m in MRDMethod]}"}


def has_mrd_parameters(values: Mapping[str, Any]) -> bool:
    return any(name in values for name in (*MRD_PARAMETERS, *OPTIONAL_MRD_PARAMETERS))


def mrd_rules_from(values: Mapping[str, Any]) -> tuple[MRDRules | None, list[tuple[str, str]]]:
    """Build the MRD rules; return ``(rules, problems)`` with problems as ``(name, message)``."""
    if not has_mrd_parameters(values):
        return None, []
    problems = [
        (name, f"missing; needs {need}") for name, need in MRD_PARAMETERS.items() if name not in values
    ]
    if problems:
        return None, problems
    threshold = values["mrd_threshold_fraction"]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold <= 1:
        problems.append(
            ("mrd_threshold_fraction", f"{threshold!r} is not {MRD_PARAMETERS['mrd_threshold_fraction']}")
        )
    for name in ("mrd_positive_at_threshold", "mrd_negative_requires_sensitivity"):
        if not isinstance(values[name], bool):
            problems.append((name, f"{values[name]!r} is not true or false"))
    try:
        pnq = PNQPolicy(values["mrd_pnq_counts_as"])
        policy = DisagreementPolicy(values["mrd_disagreement_policy"])
        priority = tuple(MRDMethod(m) for m in values.get("mrd_method_priority") or [])
    except (ValueError, TypeError) as error:
        problems.append(("mrd parameters", str(error)))
        return None, problems
    if policy is DisagreementPolicy.METHOD_PRIORITY and not priority:
        problems.append(("mrd_method_priority", "needed when mrd_disagreement_policy is method_priority"))
    if problems:
        return None, problems
    rules = MRDRules(
        threshold_fraction=float(threshold),
        positive_at_threshold=values["mrd_positive_at_threshold"],
        pnq=pnq,
        require_sensitivity_for_negative=values["mrd_negative_requires_sensitivity"],
        policy=policy,
        method_priority=priority,
        parameters=RULE_PARAMETERS,
    )
    return rules, []
