"""Expression trees, three-valued evaluation and traces.

Shared by protocols, trials and the therapy knowledge base.
"""

from __future__ import annotations

from remission.rules.checks import expression_problems
from remission.rules.evaluation import (
    REFERENCE_DATES,
    Evaluation,
    EvaluationContext,
    ReferenceDate,
    evaluate,
    reference_dates,
)
from remission.rules.expressions import Expression, ParamRef
from remission.rules.mrd import (
    DisagreementPolicy,
    MRDCall,
    MRDFinding,
    MRDRules,
    PNQPolicy,
    classify_mrd,
)
from remission.rules.truth import Truth, all_of, any_of

__all__ = [
    "REFERENCE_DATES",
    "DisagreementPolicy",
    "Evaluation",
    "EvaluationContext",
    "Expression",
    "MRDCall",
    "MRDFinding",
    "MRDRules",
    "PNQPolicy",
    "ParamRef",
    "ReferenceDate",
    "Truth",
    "all_of",
    "any_of",
    "classify_mrd",
    "evaluate",
    "expression_problems",
    "reference_dates",
]
