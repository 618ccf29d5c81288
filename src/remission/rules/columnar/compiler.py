"""Compiling an expression tree once into a vectorised evaluator over cohort columns.

The compiled evaluator gives, for every record, the same Kleene outcome and the same
missing fields (same order) as :func:`remission.rules.evaluate` gives for that record alone.
Expressions are checked first with :func:`remission.rules.expression_problems`, so a field the
record lacks or an unknown parameter is refused before any record is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, assert_never

import numpy as np
from numpy.typing import NDArray
from pydantic import TypeAdapter, ValidationError

from remission.errors import FieldProblem, InputError, problems_from_validation
from remission.record.model import PatientRecord
from remission.rules.checks import expression_problems
from remission.rules.columnar.cohort import Cohort
from remission.rules.columnar.frame import Frame, Scope, StudyEntry
from remission.rules.columnar.kleene import to_public
from remission.rules.columnar.layout import BY_PATH, ListColumn
from remission.rules.columnar.missing import MissingCollector, MissingSet, Slot
from remission.rules.columnar.nodes import (
    MRD,
    Age,
    AnyItem,
    Compare,
    ContainsAny,
    DateBy,
    Logic,
    LogicKind,
    Node,
    Present,
    Window,
)
from remission.rules.evaluation import REFERENCE_DATES
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
from remission.rules.mrd import MRDRules

_EXPRESSION: TypeAdapter[Expression] = TypeAdapter(Expression)


@dataclass(frozen=True, slots=True)
class ColumnarEvaluation:
    """An expression's outcome for every record of a cohort.

    ``truth`` holds int8 codes, one per record: 0 not met, 1 met, 2 unknown
    (:data:`~.kleene.FALSE`, :data:`~.kleene.TRUE`, :data:`~.kleene.UNKNOWN`). ``missing``
    gives, per record, the fields whose absence leaves it unknown.
    """

    truth: NDArray[np.int8]
    missing: MissingSet


class _Builder:
    """Turns expression models into nodes, numbering missing-field slots depth first."""

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        self.parameters = parameters
        self.order = 0

    def resolve(self, value: Any) -> Any:
        if isinstance(value, ParamRef):
            return self.parameters[value.param]
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value

    def slot(self, path: str, items: str | None, outer: int | None, *, relative: bool = True) -> Slot:
        """A slot for ``path``; inside a list's items a relative path is named with its index."""
        self.order += 1
        if items is not None and relative:
            return Slot(self.order, f"{items}[{{}}].{path}", indexed=True, outer=outer)
        return Slot(self.order, path, outer=outer)

    def reference(self, value: Any) -> tuple[str, str]:
        name = self.resolve(value)
        return name, REFERENCE_DATES[name]

    def build(self, expression: Expression, items: str | None = None, outer: int | None = None) -> Node:
        match expression:
            case AllOf() | AnyOf() | NotOf():
                operands = tuple(self.build(child, items, outer) for child in children(expression))
                return Logic(_logic_kind(expression), operands)
            case FieldTest():
                return self._field(expression, items, outer)
            case AgeTest():
                spec = expression.age
                name, source = self.reference(spec.on)
                ordering, limit = spec.used_orderings()[0]
                born = self.slot("patient.date_of_birth", items, outer, relative=False)
                on = self.slot(source, items, outer, relative=False)
                return Age(name, spec.unit, (ordering, self.resolve(limit)), born, on)
            case AnyItemTest():
                if items is not None:
                    raise _refuse(f"any_item inside the items of {items} has no columnar form")
                own = self.slot(expression.any_item.list_, None, None)
                where = self.build(expression.any_item.where, expression.any_item.list_, own.order)
                return AnyItem(expression.any_item.list_, own, where)
            case WindowTest():
                window = expression.overlaps_window
                name, source = self.reference(window.reference)
                on = self.slot(source, items, outer, relative=False)
                start = self.slot(window.start, items, outer)
                days = int(self.resolve(window.days_before))
                return Window(window.start, window.end, days, name, on, start)
            case DateByTest() | DateFromTest():
                by, order = date_order(expression)
                name, source = self.reference(by.reference)
                own = self.slot(by.field, items, outer)
                on = self.slot(source, items, outer, relative=False)
                return DateBy(by.field, name, own, on, after=order == "on_or_after")
            case MRDTest():
                mrd = expression.mrd
                own = self.slot(f"mrd[{mrd.time_point.value}]", items, outer, relative=False)
                return MRD(mrd.time_point, mrd.result == "positive", own)
            case _:
                assert_never(expression)

    def _field(self, test: FieldTest, items: str | None, outer: int | None) -> Node:
        path = test.field
        if test.present is not None:
            return Present(path, test.present)
        own = self.slot(path, items, outer)
        if test.equals is not None:
            expected = self.resolve(test.equals)
            return Compare(path, own, values=[expected])
        if test.in_ is not None:
            allowed = self.resolve(test.in_)
            return Compare(path, own, values=allowed)
        if test.contains_any is not None:
            column = BY_PATH[path]
            assert isinstance(column, ListColumn)  # guaranteed by expression_problems
            return ContainsAny(path, own, self.resolve(test.contains_any), column.of_records)
        name, bound = test.used_orderings()[0]
        return Compare(path, own, ordering=(name, self.resolve(bound)))


def _logic_kind(expression: AllOf | AnyOf | NotOf) -> LogicKind:
    match expression:
        case AllOf():
            return "all"
        case AnyOf():
            return "any"
        case NotOf():
            return "not"
        case _:
            assert_never(expression)


def _refuse(problem: str) -> InputError:
    return InputError("expression", [FieldProblem("expression", problem)])


@dataclass(frozen=True, slots=True, eq=False)
class CompiledExpression:
    """An expression compiled against the record model, ready to run over any cohort."""

    expression: Expression
    root: Node
    mrd_rules: MRDRules | None

    def evaluate(
        self, cohort: Cohort, *, as_of: date, study_entry: StudyEntry = "recorded", frame: Frame | None = None
    ) -> ColumnarEvaluation:
        """Run over every record of ``cohort`` on the screening date ``as_of``.

        ``study_entry`` "recorded" reads a record's ``study_entry_date`` and falls back to
        ``as_of`` (as :func:`remission.rules.reference_dates`); "as_of" uses ``as_of`` for every
        record. ``frame`` shares cached columns, ages and MRD calls between expressions of one run.
        """
        frame = frame or Frame(cohort, as_of, self.mrd_rules, study_entry)
        outcome = self.root.run(Scope(frame))
        collector = MissingCollector(len(cohort))
        outcome.collect(np.ones(len(cohort), dtype=bool), collector)
        return ColumnarEvaluation(to_public(outcome.truth), collector.result())


def as_expression(expression: Expression | Mapping[str, Any], *, source: str = "expression") -> Expression:
    """An expression model from a model or from decoded YAML/JSON; refuses a malformed tree."""
    if isinstance(expression, Mapping):
        try:
            return _EXPRESSION.validate_python(expression)
        except ValidationError as error:
            raise InputError(source, problems_from_validation(error)) from None
    return expression


def compile_expression(
    expression: Expression | Mapping[str, Any],
    parameters: Mapping[str, Any] | None = None,
    *,
    mrd_rules: MRDRules | None = None,
    source: str = "expression",
) -> CompiledExpression:
    """Compile ``expression`` once; ``{param: NAME}`` references are resolved from ``parameters``.

    Raises :class:`~remission.errors.InputError` naming each problem: a field the record lacks,
    a value outside a field's vocabulary, an unknown parameter, an ``mrd`` test without
    ``mrd_rules``.
    """
    model = as_expression(expression, source=source)
    values = dict(parameters or {})
    problems = expression_problems(model, PatientRecord, values, has_mrd_rules=mrd_rules is not None)
    if problems:
        raise InputError(source, [FieldProblem("expression", problem) for problem in problems])
    return CompiledExpression(model, _Builder(values).build(model), mrd_rules)
