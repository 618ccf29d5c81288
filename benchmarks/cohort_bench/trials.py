"""Twenty criteria sets: the shipped curated trials and variations of their age bounds and biomarkers.

Variation ``k`` of a curated trial changes its age parameters (or, where the age bound is
written in the expression, the bound itself) and adds one or two biomarker or laboratory
criteria, so that the sets differ the way a registry's trials do. Each variation is checked by
the protocol loader like any trial file.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from remission.protocols import parse_protocol
from remission.trials import Trial, load_shipped_trial, shipped_trial_ids

#: Extra criteria that variations add, in turn (biomarkers, blood counts, prior therapy).
EXTRA_CRITERIA: list[dict[str, Any]] = [
    {
        "id": "incl-bcr-abl1",
        "kind": "inclusion",
        "expression": {"field": "genetics.fusions", "contains_any": ["BCR::ABL1"]},
    },
    {
        "id": "incl-ph-like",
        "kind": "inclusion",
        "expression": {"field": "genetics.ph_like_class", "in": ["ABL-class", "JAK-STAT"]},
    },
    {
        "id": "incl-flt3",
        "kind": "inclusion",
        "expression": {
            "any_item": {"list": "genetics.mutations", "where": {"field": "gene", "equals": "FLT3"}}
        },
    },
    {
        "id": "excl-hyperleukocytosis",
        "kind": "exclusion",
        "expression": {"field": "wbc_at_diagnosis_1e9_per_l", "ge": 300},
    },
    {"id": "excl-cns3", "kind": "exclusion", "expression": {"field": "cns_status", "equals": "CNS3"}},
    {"id": "excl-prior-hsct", "kind": "exclusion", "expression": {"field": "prior_hsct", "equals": True}},
    {
        "id": "incl-kmt2a-germline",
        "kind": "inclusion",
        "expression": {"field": "genetics.kmt2a.status", "equals": "germline"},
    },
    {
        "id": "incl-mrd-positive",
        "kind": "inclusion",
        "expression": {"mrd": {"time_point": "end of induction", "result": "positive"}},
    },
]
#: Age parameters of the curated trials and the values variations cycle through (days).
AGE_PARAMETERS = {
    "min_age_days": [0, 30, 365, 365 * 2, 365 * 12],
    "max_age_days_at_diagnosis": [180, 365, 365 * 2, 365 * 18, 365 * 21],
}
MRD_PARAMETERS = {
    "mrd_threshold_fraction": {"value": 1.0e-4, "description": "MRD threshold.", "assumption": True},
    "mrd_positive_at_threshold": {
        "value": True,
        "description": "At the threshold counts positive.",
        "assumption": True,
    },
    "mrd_pnq_counts_as": {"value": "indeterminate", "description": "PNQ results.", "assumption": True},
    "mrd_negative_requires_sensitivity": {
        "value": True,
        "description": "Sensitivity needed.",
        "assumption": True,
    },
    "mrd_disagreement_policy": {
        "value": "any_positive",
        "description": "Methods combine.",
        "assumption": True,
    },
}


def _vary_age(expression: Any, years: int) -> Any:
    """An expression with literal age bounds in years replaced by ``years``."""
    if isinstance(expression, dict):
        if "age" in expression and expression["age"].get("unit") == "years":
            age = {
                key: (years if key in ("lt", "le") and not isinstance(v, dict) else v)
                for key, v in expression["age"].items()
            }
            return {**expression, "age": age}
        return {key: _vary_age(value, years) for key, value in expression.items()}
    if isinstance(expression, list):
        return [_vary_age(item, years) for item in expression]
    return expression


def variation(trial: Trial, k: int) -> Trial:
    """Variation ``k`` (1, 2, ...) of a curated trial, with its own id (``NCT...-vk``)."""
    data = trial.protocol.model_dump(mode="json", by_alias=True, exclude_none=True)
    data = copy.deepcopy(data)
    variant_id = f"{trial.id}-v{k}"
    data["id"] = variant_id
    for name, values in AGE_PARAMETERS.items():
        if name in data.get("parameters", {}):
            data["parameters"][name]["value"] = values[k % len(values)]
    source = data["provenance"]["sources"][0]["id"]
    criteria = data.get("eligibility") or []
    for criterion in criteria:
        if "expression" in criterion:
            criterion["expression"] = _vary_age(criterion["expression"], 1 + k % 4)
    existing = {criterion["id"] for criterion in criteria}
    for offset in range(1 + k % 2):
        extra = EXTRA_CRITERIA[(2 * k + offset) % len(EXTRA_CRITERIA)]
        if extra["id"] in existing:
            continue
        if "mrd" in str(extra["expression"]) and "mrd_threshold_fraction" not in data.get("parameters", {}):
            data.setdefault("parameters", {}).update(copy.deepcopy(MRD_PARAMETERS))
        criteria.append(
            {**copy.deepcopy(extra), "text": extra["id"], "decided": "automatic", "source": source}
        )
    data["eligibility"] = criteria
    protocol = parse_protocol(data, source=variant_id)
    return dataclasses.replace(trial, id=variant_id, protocol=protocol)


def criteria_sets(count: int = 20) -> list[Trial]:
    """``count`` trials: the shipped curated trials first, then variations of them in turn."""
    base = [load_shipped_trial(trial_id) for trial_id in shipped_trial_ids()]
    base = [trial for trial in base if trial.protocol.eligibility]
    trials = list(base)
    while len(trials) < count:
        index = len(trials) - len(base)
        trials.append(variation(base[index % len(base)], index // len(base) + 1))
    return trials[:count]


def attestable(trials: list[Trial]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per trial: its protocol id and the (criterion id, kind) of criteria only a person decides."""
    found = []
    for trial in trials:
        manual = [(c.id, c.kind.value) for c in trial.protocol.eligibility or [] if c.expression is None]
        if manual:
            found.append((trial.protocol.id, manual))
    return found
