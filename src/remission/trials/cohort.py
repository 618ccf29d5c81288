"""A trial's criteria as flat data, for screening a whole cohort with the same criteria.

A vectorised evaluator reads :func:`flat_criteria` and must keep the matcher's meaning:
three-valued outcomes; an inclusion blocks when not met, an exclusion when met; a criterion
without an expression is unknown unless the record attests it; the verdict is *not eligible* if
any criterion blocks, else *needs review* if any is unknown, else *eligible*. The ``study_entry``
reference date is the matching date (see :mod:`remission.trials.matching`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from remission.rules.expressions import (
    Expression,
    parameters_read,
)
from remission.trials.model import Trial


class FlatCriterion(NamedTuple):
    """``(criterion_id, kind, expression, parameters)``; ``parameters`` are those the expression reads."""

    criterion_id: str
    kind: Literal["inclusion", "exclusion"]
    expression: Expression | None
    parameters: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class TrialCriteria:
    """A trial's criteria in order, with the trial's parameter values and versions."""

    trial_id: str
    trial_version: str
    criteria_version: str
    criteria: tuple[FlatCriterion, ...]
    parameter_values: Mapping[str, Any]


def flat_criteria(trial: Trial) -> TrialCriteria:
    """Every criterion of ``trial`` as ``(criterion_id, kind, expression | None, parameters)``.

    ``parameters`` of each criterion maps the parameter names its expression reads to their
    values; ``parameter_values`` holds all of the trial's parameters (MRD rules included).
    """
    values = trial.protocol.parameter_values()
    criteria = tuple(
        FlatCriterion(
            criterion.id,
            "inclusion" if criterion.kind.value == "inclusion" else "exclusion",
            criterion.expression,
            {name: values[name] for name in parameters_read(criterion.expression)}
            if criterion.expression
            else {},
        )
        for criterion in trial.protocol.eligibility or []
    )
    return TrialCriteria(trial.id, trial.version, trial.protocol.version, criteria, values)
