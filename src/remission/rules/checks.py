"""Static checks of an expression against the record model and the protocol parameters.

A protocol whose expressions name a field the record lacks, a value outside a
field's vocabulary, or an unknown parameter is refused at load time, not at the
bedside.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any, assert_never

from pydantic import BaseModel

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
from remission.rules.paths import UnknownFieldError, enum_values, field_type, list_item_type


def _param_problems(value: Any, parameters: Mapping[str, Any]) -> Iterator[str]:
    values = value if isinstance(value, list) else [value]
    for item in values:
        if isinstance(item, ParamRef) and item.param not in parameters:
            yield f"unknown parameter {item.param!r}"


def _resolve(value: Any, parameters: Mapping[str, Any]) -> Any:
    if isinstance(value, ParamRef):
        return parameters.get(value.param)
    if isinstance(value, list):
        return [_resolve(item, parameters) for item in value]
    return value


def _number_problems(
    bound: Any, parameters: Mapping[str, Any], what: str, *, whole: bool = False
) -> Iterator[str]:
    """A bound must be a number (a whole one of at least 0 for day counts)."""
    if isinstance(bound, ParamRef) and bound.param not in parameters:
        yield f"unknown parameter {bound.param!r}"
        return
    value = _resolve(bound, parameters)
    if whole and not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        yield f"{what}: {value!r} is not a whole number of days (0 or more)"
    elif not isinstance(value, int | float) or isinstance(value, bool):
        yield f"{what}: {value!r} is not a number"


def _date_field_problems(model: type[BaseModel], path: str) -> Iterator[str]:
    try:
        annotation = field_type(model, path)
    except UnknownFieldError as error:
        yield str(error)
        return
    if annotation is not date:
        yield f"{path}: needs a date field, not {_name(annotation)}"


def _field_problems(test: FieldTest, model: type[BaseModel], parameters: Mapping[str, Any]) -> Iterator[str]:
    try:
        annotation = field_type(model, test.field)
    except UnknownFieldError as error:
        yield str(error)
        return
    for value in (test.equals, test.in_, test.contains_any):
        if value is not None:
            yield from _param_problems(value, parameters)
    item_type = list_item_type(annotation)
    if test.contains_any is not None and item_type is None:
        yield f"{test.field}: contains_any needs a list field"
    if (test.equals is not None or test.in_ is not None) and item_type is not None:
        yield f"{test.field}: is a list; use contains_any"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and test.present is None:
        yield f"{test.field}: is a group of fields; compare one of its fields"
    allowed = enum_values(annotation)
    compared = [test.equals] if test.equals is not None else (test.in_ or test.contains_any or [])
    for value in _resolve(compared, parameters):
        if value is None:  # an unknown parameter, reported above
            continue
        if allowed is not None and value not in allowed:
            yield f"{test.field}: {value!r} is not one of {sorted(allowed)}"
        elif allowed is None and not _fits(value, item_type or annotation):
            yield f"{test.field}: {value!r} does not fit the field's type {_name(item_type or annotation)}"
    for name, bound in test.used_orderings():
        if annotation not in (int, float):
            yield f"{test.field}: {name} needs a numeric field, not {_name(annotation)}"
        yield from _number_problems(bound, parameters, f"{test.field} {name}")


def _fits(value: Any, annotation: Any) -> bool:
    """Whether a literal from a protocol can ever equal a value of the field's type."""
    if annotation is bool:
        return isinstance(value, bool)
    if annotation in (int, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is str:
        return isinstance(value, str)
    return True  # dates and other types are compared in their JSON form


def _name(annotation: Any) -> str:
    return getattr(annotation, "__name__", str(annotation))


def _reference_problems(reference: Any, parameters: Mapping[str, Any]) -> Iterator[str]:
    yield from _param_problems(reference, parameters)
    name = _resolve(reference, parameters)
    if name is not None and name not in REFERENCE_DATES:
        yield f"unknown reference date {name!r}; use one of {sorted(REFERENCE_DATES)}"


def expression_problems(
    expression: Expression,
    model: type[BaseModel],
    parameters: Mapping[str, Any],
    *,
    has_mrd_rules: bool,
) -> list[str]:
    """Every problem of ``expression`` read against ``model``; empty when it is sound."""
    return list(_problems(expression, model, parameters, has_mrd_rules))


def _problems(
    expression: Expression, model: type[BaseModel], parameters: Mapping[str, Any], has_mrd: bool
) -> Iterator[str]:
    match expression:
        case AllOf() | AnyOf() | NotOf():
            for child in children(expression):
                yield from _problems(child, model, parameters, has_mrd)
        case FieldTest():
            yield from _field_problems(expression, model, parameters)
        case AgeTest():
            yield from _reference_problems(expression.age.on, parameters)
            for name, bound in expression.age.used_orderings():
                yield from _number_problems(bound, parameters, f"age {name}")
        case AnyItemTest():
            spec = expression.any_item
            try:
                item = list_item_type(field_type(model, spec.list_))
            except UnknownFieldError as error:
                yield str(error)
                return
            if not (isinstance(item, type) and issubclass(item, BaseModel)):
                yield f"{spec.list_}: any_item needs a list of records"
                return
            for problem in _problems(spec.where, item, parameters, has_mrd):
                yield f"in items of {spec.list_}: {problem}"
        case WindowTest():
            window = expression.overlaps_window
            for path in (window.start, window.end):
                yield from _date_field_problems(model, path)
            yield from _number_problems(window.days_before, parameters, "days_before", whole=True)
            yield from _reference_problems(window.reference, parameters)
        case DateByTest() | DateFromTest():
            date_spec, _ = date_order(expression)
            yield from _date_field_problems(model, date_spec.field)
            yield from _reference_problems(date_spec.reference, parameters)
        case MRDTest():
            if not has_mrd:
                yield "an mrd test needs the protocol's mrd parameters"
        case _:
            assert_never(expression)
