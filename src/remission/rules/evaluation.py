"""Evaluating expressions against a record, three-valued, with a trace of every input read."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, assert_never

from remission.record.model import PatientRecord
from remission.rules.expressions import (
    AgeTest,
    AllOf,
    AnyItemTest,
    AnyOf,
    DateByTest,
    DateFromTest,
    Expression,
    FieldTest,
    MRDTest,
    NotOf,
    ParamRef,
    WindowTest,
    children,
    date_order,
)
from remission.rules.mrd import MRDCall, MRDRules, classify_mrd
from remission.rules.paths import plain, read_path
from remission.rules.truth import Truth, all_of, any_of

_ORDER: dict[str, tuple[str, Callable[[Any, Any], bool]]] = {
    "lt": ("<", operator.lt),
    "le": ("≤", operator.le),
    "gt": (">", operator.gt),
    "ge": ("≥", operator.ge),
}

#: Named reference dates that expressions may use, and the record field behind each.
REFERENCE_DATES = {"diagnosis": "diagnosis.date", "study_entry": "study_entry_date"}

#: Every reference date in words: those above, and those an edit check may name besides
#: (:data:`remission.protocols.edit_checks.CHECK_REFERENCE_DATES`, computed by the conduct layer).
REFERENCE_WORDS = {
    "diagnosis": "diagnosis",
    "study_entry": "study entry",
    "time_point_window_start": "the first day of this time point's window",
    "time_point_window_end": "the last day of this time point's window",
    "previous_phase_end": "the end of the previous phase",
    "next_phase_start": "the start of the next phase",
    "this_phase_start": "this phase's start",
    "last_follow_up": "the last follow-up",
    "death": "the date of death",
}


@dataclass(frozen=True, slots=True)
class ReferenceDate:
    value: date | None
    source: str  # where the date came from, for the trace


def reference_dates(record: PatientRecord, *, as_of: date) -> dict[str, ReferenceDate]:
    """The reference dates of ``record``; study entry defaults to the screening date ``as_of``."""
    diagnosis = record.diagnosis.date if record.diagnosis else None
    if record.study_entry_date is not None:
        entry = ReferenceDate(record.study_entry_date, "study_entry_date")
    else:
        entry = ReferenceDate(as_of, "screening date (no study_entry_date recorded)")
    return {"diagnosis": ReferenceDate(diagnosis, "diagnosis.date"), "study_entry": entry}


@dataclass(frozen=True, slots=True)
class EvaluationContext:
    """What an expression may read besides the record: parameters, dates, MRD rules."""

    record: PatientRecord
    parameters: Mapping[str, Any]
    references: Mapping[str, ReferenceDate]
    mrd_rules: MRDRules | None = None

    def resolve(self, value: Any) -> Any:
        if isinstance(value, ParamRef):
            return self.parameters[value.param]
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value


@dataclass(frozen=True, slots=True)
class Claim:
    """What a test asked, in parts that an explanation can put into words.

    ``kind`` is the comparison (``equals``, ``in``, ``contains_any``, ``present``, ``absent``,
    ``lt``/``le``/``gt``/``ge``, ``age``, ``overlaps``, ``on_or_before``, ``mrd``, ``any_item``,
    ``all``, ``any``, ``not``); ``subject`` the record path it read (or the MRD time point);
    ``target`` the value it compared against, resolved; ``parameters`` the protocol parameters
    that value came from; ``detail`` what else the wording needs (dates read, units, the MRD
    finding).
    """

    kind: str
    subject: str = ""
    target: Any = None
    parameters: tuple[str, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The outcome of one expression node, what it read, and its children's evaluations."""

    truth: Truth
    label: str
    inputs: Mapping[str, Any] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    children: tuple[Evaluation, ...] = ()
    claim: Claim = field(default_factory=lambda: Claim("all"))

    def walk(self) -> Iterator[Evaluation]:
        yield self
        for child in self.children:
            yield from child.walk()

    def all_inputs(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for node in self.walk():
            merged.update(node.inputs)
        return merged

    def all_missing(self) -> list[str]:
        """Fields whose absence leaves this node unknown; empty when the node is decided.

        Only unknown branches count: an unrecorded field in a branch that does not
        change the outcome is not missing for the decision.
        """
        if self.truth is not Truth.UNKNOWN:
            return []
        paths = list(self.missing)
        for child in self.children:
            paths.extend(child.all_missing())
        return list(dict.fromkeys(paths))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"outcome": self.truth.value, "test": self.label}
        if self.inputs:
            out["inputs"] = dict(self.inputs)
        if self.missing:
            out["missing"] = list(self.missing)
        if self.children:
            out["children"] = [child.to_dict() for child in self.children]
        return out


def show(value: Any) -> str:
    """Render a value as it is written in JSON and protocol files."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(show(item) for item in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _parameters(*values: Any) -> tuple[str, ...]:
    """The names of the protocol parameters among ``values`` (a list may hold several)."""
    names: list[str] = []
    for value in values:
        if isinstance(value, ParamRef):
            names.append(value.param)
        elif isinstance(value, list):
            names.extend(_parameters(*value))
    return tuple(names)


def evaluate(expression: Expression, ctx: EvaluationContext) -> Evaluation:
    """Evaluate ``expression`` against ``ctx.record``."""
    return _evaluate(expression, ctx.record, "", ctx)


def evaluate_on(expression: Expression, subject: object, ctx: EvaluationContext) -> Evaluation:
    """Evaluate ``expression`` with its paths read from ``subject`` (an edit check's row and derived
    values) instead of the record; ages, reference dates and MRD still come from ``ctx``."""
    return _evaluate(expression, subject, "", ctx)


def _evaluate(expression: Expression, node: object, prefix: str, ctx: EvaluationContext) -> Evaluation:
    match expression:
        case AllOf() | AnyOf() | NotOf():
            return _logic(expression, node, prefix, ctx)
        case FieldTest():
            return _field_test(expression, node, prefix, ctx)
        case AgeTest():
            return _age_test(expression, ctx)
        case AnyItemTest():
            return _any_item(expression, node, prefix, ctx)
        case WindowTest():
            return _window_test(expression, node, prefix, ctx)
        case DateByTest() | DateFromTest():
            return _date_order_test(expression, node, prefix, ctx)
        case MRDTest():
            return _mrd_test(expression, ctx)
        case _:
            assert_never(expression)


def _logic(
    expression: AllOf | AnyOf | NotOf, node: object, prefix: str, ctx: EvaluationContext
) -> Evaluation:
    evaluated = tuple(_evaluate(child, node, prefix, ctx) for child in children(expression))
    truths = [child.truth for child in evaluated]
    match expression:
        case AllOf():
            return Evaluation(all_of(truths), "all of", children=evaluated, claim=Claim("all"))
        case AnyOf():
            return Evaluation(any_of(truths), "any of", children=evaluated, claim=Claim("any"))
        case NotOf():
            return Evaluation(truths[0].negate(), "not", children=evaluated, claim=Claim("not"))
        case _:
            assert_never(expression)


def _field_test(test: FieldTest, node: object, prefix: str, ctx: EvaluationContext) -> Evaluation:
    path = prefix + test.field
    value = plain(read_path(node, test.field))
    inputs = {path: value}
    check: Callable[[Any], bool]
    if test.present is not None:
        label = f"{path} is {'recorded' if test.present else 'not recorded'}"
        claim = Claim("present" if test.present else "absent", path)
        return Evaluation(Truth.of((value is not None) == test.present), label, inputs, claim=claim)
    if test.equals is not None:
        expected = ctx.resolve(test.equals)
        label, check = f"{path} = {show(expected)}", lambda v: v == expected
        claim = Claim("equals", path, expected, _parameters(test.equals))
    elif test.in_ is not None:
        allowed = ctx.resolve(test.in_)
        label, check = f"{path} in {show(allowed)}", lambda v: v in allowed
        claim = Claim("in", path, allowed, _parameters(test.in_))
    elif test.contains_any is not None:
        wanted = ctx.resolve(test.contains_any)
        label, check = f"{path} contains any of {show(wanted)}", lambda v: any(i in wanted for i in v)
        claim = Claim("contains_any", path, wanted, _parameters(test.contains_any))
    else:
        name, bound = test.used_orderings()[0]
        symbol, compare = _ORDER[name]
        limit = ctx.resolve(bound)
        label, check = f"{path} {symbol} {limit:g}", lambda v: compare(v, limit)
        claim = Claim(name, path, limit, _parameters(bound))
    if value is None:
        return Evaluation(Truth.UNKNOWN, label, inputs, missing=(path,), claim=claim)
    return Evaluation(Truth.of(check(value)), label, inputs, claim=claim)


def _age_test(test: AgeTest, ctx: EvaluationContext) -> Evaluation:
    spec = test.age
    reference = ctx.references[ctx.resolve(spec.on)]
    name, bound = spec.used_orderings()[0]
    symbol, compare = _ORDER[name]
    limit = ctx.resolve(bound)
    label = f"age at {ctx.resolve(spec.on)} {symbol} {limit:g} {spec.unit.value}"
    born = ctx.record.patient.date_of_birth
    inputs: dict[str, Any] = {"patient.date_of_birth": plain(born), reference.source: plain(reference.value)}
    missing = tuple(
        path
        for path, value in (("patient.date_of_birth", born), (reference.source, reference.value))
        if value is None
    )
    years_or_days = ctx.record.age_on(reference.value, spec.unit)
    detail: dict[str, Any] = {
        "on": ctx.resolve(spec.on),
        "unit": spec.unit.value,
        "born": born,
        "reference_date": reference.value,
        "reference_source": reference.source,
        "age": years_or_days,
        "order": name,
        "reference_parameters": _parameters(spec.on),
    }
    claim = Claim("age", "age", limit, _parameters(bound), detail)
    if years_or_days is None:
        return Evaluation(Truth.UNKNOWN, label, inputs, missing, claim=claim)
    inputs[f"age ({spec.unit.value}, derived)"] = years_or_days
    return Evaluation(Truth.of(compare(years_or_days, limit)), label, inputs, claim=claim)


def _any_item(test: AnyItemTest, node: object, prefix: str, ctx: EvaluationContext) -> Evaluation:
    spec = test.any_item
    path = prefix + spec.list_
    items = read_path(node, spec.list_)
    label = f"some item of {path} satisfies the condition"
    claim = Claim("any_item", path)
    if items is None:
        return Evaluation(Truth.UNKNOWN, label, {path: None}, missing=(path,), claim=claim)
    children = tuple(
        _evaluate(spec.where, item, f"{path}[{index}].", ctx) for index, item in enumerate(items)
    )
    inputs: dict[str, Any] = {} if items else {path: []}
    truth = any_of(c.truth for c in children)
    return Evaluation(truth, label, inputs, children=children, claim=claim)


def _window_test(test: WindowTest, node: object, prefix: str, ctx: EvaluationContext) -> Evaluation:
    spec = test.overlaps_window
    reference = ctx.references[ctx.resolve(spec.reference)]
    days = ctx.resolve(spec.days_before)
    start, end = read_path(node, spec.start), read_path(node, spec.end)
    label = f"period overlaps the {days} days up to {ctx.resolve(spec.reference)} (both ends included)"
    inputs = {
        prefix + spec.start: plain(start),
        prefix + spec.end: plain(end),
        reference.source: plain(reference.value),
    }
    detail = {
        "start": start,
        "end": end,
        "reference": ctx.resolve(spec.reference),
        "reference_date": reference.value,
        "reference_source": reference.source,
        "reference_parameters": _parameters(spec.reference),
    }
    claim = Claim("overlaps", prefix + spec.start, days, _parameters(spec.days_before), detail)
    if reference.value is None or start is None:
        missing = tuple(
            p for p, v in ((reference.source, reference.value), (prefix + spec.start, start)) if v is None
        )
        return Evaluation(Truth.UNKNOWN, label, inputs, missing, claim=claim)
    window_start = reference.value - timedelta(days=days)
    overlaps = start <= reference.value and (end is None or end >= window_start)
    return Evaluation(Truth.of(overlaps), label, inputs, claim=claim)


def _date_order_test(
    test: DateByTest | DateFromTest, node: object, prefix: str, ctx: EvaluationContext
) -> Evaluation:
    spec, order = date_order(test)
    reference = ctx.references[ctx.resolve(spec.reference)]
    path = prefix + spec.field
    value = read_path(node, spec.field)
    label = f"{path} {order.replace('_', ' ')} {ctx.resolve(spec.reference)}"
    inputs = {path: plain(value), reference.source: plain(reference.value)}
    detail = {
        "value": value,
        "reference_date": reference.value,
        "reference_source": reference.source,
        "reference_parameters": _parameters(spec.reference),
    }
    claim = Claim(order, path, ctx.resolve(spec.reference), (), detail)
    missing = tuple(p for p, v in ((path, value), (reference.source, reference.value)) if v is None)
    if missing:
        return Evaluation(Truth.UNKNOWN, label, inputs, missing, claim=claim)
    holds = value <= reference.value if order == "on_or_before" else value >= reference.value
    return Evaluation(Truth.of(holds), label, inputs, claim=claim)


def _mrd_test(test: MRDTest, ctx: EvaluationContext) -> Evaluation:
    spec = test.mrd
    if ctx.mrd_rules is None:
        raise LookupError("an mrd test needs the protocol's mrd parameters")
    finding = classify_mrd(ctx.record.mrd, spec.time_point, ctx.mrd_rules)
    label = f"MRD {spec.time_point.value} is {spec.result}: {finding.explanation}"
    key = f"mrd[{spec.time_point.value}]"
    inputs = {key: list(finding.results_read)}
    detail = {"finding": finding, "rules": ctx.mrd_rules}
    claim = Claim("mrd", spec.time_point.value, spec.result, detail=detail)
    if finding.call is MRDCall.INDETERMINATE:
        return Evaluation(Truth.UNKNOWN, label, inputs, missing=(key,), claim=claim)
    return Evaluation(Truth.of(finding.call.value == spec.result), label, inputs, claim=claim)
