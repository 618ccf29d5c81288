"""Shared helpers of the expression evaluation tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import TypeAdapter

from remission.record.model import PatientRecord
from remission.rules import (
    DisagreementPolicy,
    Evaluation,
    EvaluationContext,
    Expression,
    MRDRules,
    PNQPolicy,
    evaluate,
    reference_dates,
)

AS_OF = date(2026, 1, 15)
EXPRESSION: TypeAdapter[Any] = TypeAdapter(Expression)

MRD_RULES = MRDRules(
    threshold_fraction=1e-4,
    positive_at_threshold=True,
    pnq=PNQPolicy.POSITIVE,
    require_sensitivity_for_negative=True,
    policy=DisagreementPolicy.ANY_POSITIVE,
)


def record_with(**fields: Any) -> PatientRecord:
    """A record of a child born 2018-04-02, with ``fields`` added or replaced."""
    return PatientRecord.model_validate(
        {"patient": {"study_id": "P-001", "date_of_birth": "2018-04-02"}} | fields
    )


def run_expression(
    expression: dict[str, Any],
    record: PatientRecord,
    parameters: dict[str, Any] | None = None,
    mrd_rules: MRDRules | None = None,
) -> Evaluation:
    ctx = EvaluationContext(
        record=record,
        parameters=parameters or {},
        references=reference_dates(record, as_of=AS_OF),
        mrd_rules=mrd_rules,
    )
    return evaluate(EXPRESSION.validate_python(expression), ctx)


def steroid(start: str, end: str | None, *, systemic: bool = True) -> dict[str, Any]:
    return {"drug": "prednisone", "systemic": systemic, "start_date": start, "end_date": end}
