"""Whether an approval covers one child: population, age, disease, setting and label conditions.

Every check is three-valued. The approval covers the child only when every check is
met; a failed check makes the option off-label (adult-only when an adults-only label
meets a child), and any unknown check makes it *needs review*. So a child outside an
approval's age range, or of unknown age, is never shown the option as approved.
Ages are completed calendar units on the decision date (:mod:`remission.record.ages`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from remission.knowledge.base import KnowledgeBase
from remission.knowledge.model import AgeBound, AgencyDefinition, Approval
from remission.knowledge.vocabulary import Coverage, Population
from remission.record.model import PatientRecord
from remission.rules.evaluation import EvaluationContext, evaluate, show
from remission.rules.truth import Truth, all_of, any_of


@dataclass(frozen=True, slots=True)
class Check:
    """One test of an approval against the record: outcome, reason, inputs read, what is missing."""

    name: str
    truth: Truth
    reason: str
    inputs: dict[str, Any] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.name, "outcome": self.truth.value, "reason": self.reason}
        if self.inputs:
            out["inputs"] = self.inputs
        if self.missing:
            out["missing"] = list(self.missing)
        return out


@dataclass(frozen=True, slots=True)
class ApprovalCoverage:
    """One approval read against one child."""

    approval: Approval
    coverage: Coverage
    checks: tuple[Check, ...]
    assumptions: tuple[str, ...]

    @property
    def reason(self) -> str:
        """The checks that decided the coverage, in one line."""
        if self.coverage is Coverage.APPROVED:
            deciding = list(self.checks)
        elif self.coverage is Coverage.NEEDS_REVIEW:
            deciding = [c for c in self.checks if c.truth is Truth.UNKNOWN]
        else:
            deciding = [c for c in self.checks if c.truth is Truth.NOT_MET]
        return "; ".join(check.reason for check in deciding)

    @property
    def missing(self) -> list[str]:
        if self.coverage is not Coverage.NEEDS_REVIEW:
            return []
        return list(dict.fromkeys(path for check in self.checks for path in check.missing))

    def to_dict(self) -> dict[str, Any]:
        approval = self.approval
        out: dict[str, Any] = {
            "approval": approval.id,
            "agency": approval.agency,
            "indication": approval.indication,
            "date": approval.date,
            "coverage": self.coverage.value,
            "reason": self.reason,
            "checks": [check.to_dict() for check in self.checks],
        }
        if approval.date_note:
            out["date_note"] = approval.date_note
        if self.assumptions:
            out["assumptions"] = list(self.assumptions)
        if self.missing:
            out["missing"] = self.missing
        return out


def describe_bound(bound: AgeBound, *, lower: bool) -> str:
    """``≥ 1 years`` style text of one bound."""
    symbol = ("≥" if bound.inclusive else ">") if lower else ("≤" if bound.inclusive else "<")
    return f"{symbol} {bound.value} {bound.unit.value}"


def _within(age: int, bound: AgeBound, *, lower: bool) -> bool:
    if lower:
        return age >= bound.value if bound.inclusive else age > bound.value
    return age <= bound.value if bound.inclusive else age < bound.value


def _age_test(record: PatientRecord, on: date, bound: AgeBound, *, lower: bool) -> Check:
    age = record.age_on(on, bound.unit)
    wanted = f"age {describe_bound(bound, lower=lower)}"
    inputs: dict[str, Any] = {"patient.date_of_birth": show(record.patient.date_of_birth), "as of": str(on)}
    if age is None:
        return Check("age", Truth.UNKNOWN, f"{wanted}: age unknown", inputs, ("patient.date_of_birth",))
    inputs[f"age ({bound.unit.value}, completed)"] = age
    truth = Truth.of(_within(age, bound, lower=lower))
    return Check("age", truth, f"{wanted}: {age} {bound.unit.value} on {on}", inputs)


def _age_check(approval: Approval, record: PatientRecord, on: date) -> Check:
    tests = [
        _age_test(record, on, bound, lower=lower)
        for bound, lower in ((approval.min_age, True), (approval.max_age, False))
        if bound is not None
    ]
    if not tests:
        return Check("age", Truth.MET, "the source states no numeric age bound")
    truth = all_of(test.truth for test in tests)
    inputs = {key: value for test in tests for key, value in test.inputs.items()}
    missing = tuple(dict.fromkeys(path for test in tests for path in test.missing))
    return Check("age", truth, "; ".join(test.reason for test in tests), inputs, missing)


def _adult(agency: AgencyDefinition, record: PatientRecord, on: date) -> Check:
    return _age_test(record, on, agency.adult_from, lower=True)


def _population_check(approval: Approval, agency: AgencyDefinition, record: PatientRecord, on: date) -> Check:
    if approval.population is Population.ADULTS_AND_CHILDREN:
        return Check("population", Truth.MET, "approved for adults and children")
    adult = _adult(agency, record, on)
    adult_from = describe_bound(agency.adult_from, lower=True)
    unit = agency.adult_from.unit.value
    age = adult.inputs.get(f"age ({unit}, completed)")
    shown = "age unknown" if age is None else f"{age} {unit} on {on}"
    if approval.population is Population.ADULTS:
        reason = f"adults only ({agency.name}: adult from age {adult_from}): {shown}"
        return Check("population", adult.truth, reason, adult.inputs, adult.missing)
    reason = f"children only ({agency.name}: adult from age {adult_from}): {shown}"
    return Check("population", adult.truth.negate(), reason, adult.inputs, adult.missing)


def _disease_check(approval: Approval, record: PatientRecord) -> Check:
    who_type = record.diagnosis.who_type if record.diagnosis else None
    inputs = {"diagnosis.who_type": who_type.value if who_type else None}
    if not approval.diseases:
        return Check("disease", Truth.NOT_MET, f"disease: the approval is for {approval.indication}", inputs)
    allowed = ", ".join(d.value for d in approval.diseases)
    if who_type is None:
        return Check(
            "disease", Truth.UNKNOWN, f"disease {allowed}: not recorded", inputs, ("diagnosis.who_type",)
        )
    return Check(
        "disease", Truth.of(who_type in approval.diseases), f"disease {allowed}: {who_type.value}", inputs
    )


def _setting_check(approval: Approval, kb: KnowledgeBase, ctx: EvaluationContext) -> Check:
    if not approval.settings:
        return Check("setting", Truth.MET, "the source names no disease setting")
    evaluations = [(setting, evaluate(kb.settings[setting].when, ctx)) for setting in approval.settings]
    truth = any_of(evaluation.truth for _, evaluation in evaluations)
    parts = [f"{setting.value}: {evaluation.truth.value}" for setting, evaluation in evaluations]
    inputs = {k: v for _, evaluation in evaluations for k, v in evaluation.all_inputs().items()}
    missing = tuple(dict.fromkeys(p for _, evaluation in evaluations for p in evaluation.all_missing()))
    return Check(
        "setting", truth, f"setting {' or '.join(parts)}", inputs, missing if truth is Truth.UNKNOWN else ()
    )


def _condition_checks(approval: Approval, ctx: EvaluationContext) -> list[Check]:
    checks = []
    for condition in approval.requires:
        evaluation = evaluate(condition.when, ctx)
        checks.append(
            Check(
                "condition",
                evaluation.truth,
                f"{condition.label}: {evaluation.truth.value}",
                evaluation.all_inputs(),
                tuple(evaluation.all_missing()),
            )
        )
    for text in approval.unrecorded_conditions:
        checks.append(Check("condition", Truth.UNKNOWN, f"not in the record, a person must confirm: {text}"))
    return checks


def _coverage(approval: Approval, checks: list[Check]) -> Coverage:
    population = checks[0]
    if approval.population is Population.ADULTS and population.truth is Truth.NOT_MET:
        return Coverage.ADULT_ONLY
    truth = all_of(check.truth for check in checks)
    if truth is Truth.MET:
        return Coverage.APPROVED
    return Coverage.OFF_LABEL if truth is Truth.NOT_MET else Coverage.NEEDS_REVIEW


def approval_coverage(
    approval: Approval, kb: KnowledgeBase, ctx: EvaluationContext, on: date
) -> ApprovalCoverage:
    """Read one approval against ``ctx.record`` on the decision date ``on``."""
    agency = kb.agencies[approval.agency]
    checks = [
        _population_check(approval, agency, ctx.record, on),
        _age_check(approval, ctx.record, on),
        _disease_check(approval, ctx.record),
        _setting_check(approval, kb, ctx),
        *_condition_checks(approval, ctx),
    ]
    assumptions = []
    if approval.population is not Population.ADULTS_AND_CHILDREN and agency.adult_from_assumption:
        assumptions.append(
            f"ASSUMPTION: {agency.name} labels' 'adult' is read as age "
            f"{describe_bound(agency.adult_from, lower=True)}; {agency.note or 'no source states the age'}"
        )
    return ApprovalCoverage(approval, _coverage(approval, checks), tuple(checks), tuple(assumptions))
