"""The expression language of criteria and risk rules, as data.

An expression is a nested tree (the shape of MatchMiner's CTML): ``all``, ``any``
and ``not`` over typed predicates. In YAML::

    any:
      - field: diagnosis.who_type
        in: [B-ALL, T-ALL]
      - all:
          - field: diagnosis.who_type
            equals: ALAL
          - field: diagnosis.alal_predominant_lineage
            in: [B-lymphoid, T-lymphoid]

Numbers and strings may be written as ``{param: NAME}`` to read a protocol parameter.

:func:`children` is the one place that knows which nodes hold sub-expressions, and
:func:`walk` visits a whole tree through it. Every dispatch over node types (evaluation,
static checks, the columnar compiler, the parameters a criterion reads) ends in
``assert_never``, so that mypy names a node type a dispatch misses and running it raises.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Annotated, Any, Literal, assert_never

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from remission.record.ages import AgeUnit
from remission.record.vocabulary import MRDTimePoint


class ExpressionModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ParamRef(ExpressionModel):
    """A reference to a protocol parameter by name."""

    param: str


Scalar = str | int | float | bool
Value = Scalar | ParamRef
Number = int | float | ParamRef

COMPARATORS = ("equals", "in_", "lt", "le", "gt", "ge", "present", "contains_any")
ORDERINGS = ("lt", "le", "gt", "ge")


class _Comparison(ExpressionModel):
    lt: Number | None = None
    le: Number | None = None
    gt: Number | None = None
    ge: Number | None = None

    def used_orderings(self) -> list[tuple[str, Number]]:
        return [(name, getattr(self, name)) for name in ORDERINGS if getattr(self, name) is not None]


class FieldTest(_Comparison):
    """Compare one record field (a dotted path) with a value."""

    field: str = Field(description="Dotted path into the record, e.g. genetics.kmt2a.status.")
    equals: Value | None = None
    in_: list[Value] | None = Field(default=None, alias="in")
    present: bool | None = Field(default=None, description="True: the field is recorded.")
    contains_any: list[Value] | None = Field(
        default=None, description="For list fields: any recorded item is one of these."
    )

    @model_validator(mode="after")
    def _exactly_one_comparator(self) -> FieldTest:
        used = [name for name in COMPARATORS if getattr(self, name) is not None]
        if len(used) != 1:
            names = ", ".join(name.rstrip("_") for name in COMPARATORS)
            raise ValueError(f"field test on {self.field!r} needs exactly one of: {names}")
        return self


class AgeSpec(_Comparison):
    """Age in completed calendar units on a reference date."""

    on: str | ParamRef = Field(description="Reference date: diagnosis or study_entry.")
    unit: AgeUnit

    @model_validator(mode="after")
    def _one_ordering(self) -> AgeSpec:
        if len(self.used_orderings()) != 1:
            raise ValueError("age test needs exactly one of lt, le, gt, ge")
        return self


class AgeTest(ExpressionModel):
    age: AgeSpec


class WindowSpec(ExpressionModel):
    """An item's period [start, end] overlaps the ``days_before`` days up to a reference date.

    The window includes both ends: a period ending exactly ``days_before`` days
    before the reference overlaps it. A missing end means the period is ongoing.
    """

    start: str = Field(description="Item field holding the start date.")
    end: str = Field(description="Item field holding the end date (null = ongoing).")
    days_before: Annotated[int, Field(ge=0)] | ParamRef = Field(description="Whole days.")
    reference: str | ParamRef = Field(description="Reference date: diagnosis or study_entry.")


class WindowTest(ExpressionModel):
    overlaps_window: WindowSpec


class DateBySpec(ExpressionModel):
    """A recorded date falls on or before a reference date."""

    field: str = Field(description="Dotted path of a date field.")
    reference: str | ParamRef = Field(description="Reference date: diagnosis or study_entry.")


class DateByTest(ExpressionModel):
    on_or_before: DateBySpec


class DateFromTest(ExpressionModel):
    """A recorded date falls on or after a reference date (the mirror of ``on_or_before``)."""

    on_or_after: DateBySpec


class AnyItemSpec(ExpressionModel):
    """Met when some item of a recorded list satisfies ``where`` (paths relative to the item)."""

    list_: str = Field(alias="list", description="Dotted path of a list field.")
    where: Expression


class AnyItemTest(ExpressionModel):
    any_item: AnyItemSpec


class MRDSpec(ExpressionModel):
    """MRD at a time point is positive or negative under the protocol's MRD parameters."""

    time_point: MRDTimePoint
    result: Literal["positive", "negative"]


class MRDTest(ExpressionModel):
    mrd: MRDSpec


class AllOf(ExpressionModel):
    all: list[Expression] = Field(min_length=1)


class AnyOf(ExpressionModel):
    any: list[Expression] = Field(min_length=1)


class NotOf(ExpressionModel):
    not_: Expression = Field(alias="not")


_TAGS = (
    "all",
    "any",
    "not",
    "field",
    "age",
    "any_item",
    "overlaps_window",
    "on_or_before",
    "on_or_after",
    "mrd",
)


def _expression_tag(node: Any) -> str | None:
    keys: Collection[Any]
    if isinstance(node, dict):
        keys = node.keys()
    elif isinstance(node, BaseModel):
        keys = {"not" if name == "not_" else name for name in type(node).model_fields}
    else:
        return None
    return next((tag for tag in _TAGS if tag in keys), None)


Expression = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")]
    | Annotated[FieldTest, Tag("field")]
    | Annotated[AgeTest, Tag("age")]
    | Annotated[AnyItemTest, Tag("any_item")]
    | Annotated[WindowTest, Tag("overlaps_window")]
    | Annotated[DateByTest, Tag("on_or_before")]
    | Annotated[DateFromTest, Tag("on_or_after")]
    | Annotated[MRDTest, Tag("mrd")],
    Discriminator(
        _expression_tag,
        custom_error_type="expression",
        custom_error_message="an expression needs one of the keys: " + ", ".join(_TAGS),
    ),
]

for _model in (AnyItemSpec, AllOf, AnyOf, NotOf):
    _model.model_rebuild()


def children(expression: Expression) -> tuple[Expression, ...]:
    """The sub-expressions of a node in order; an ``any_item`` test's child is its ``where``.

    The child of ``any_item`` reads paths relative to an item of the list, so a traversal
    that tracks where paths point handles that node itself.
    """
    match expression:
        case AllOf():
            return tuple(expression.all)
        case AnyOf():
            return tuple(expression.any)
        case NotOf():
            return (expression.not_,)
        case AnyItemTest():
            return (expression.any_item.where,)
        case FieldTest() | AgeTest() | WindowTest() | DateByTest() | DateFromTest() | MRDTest():
            return ()
        case _:
            assert_never(expression)


def date_order(test: DateByTest | DateFromTest) -> tuple[DateBySpec, Literal["on_or_before", "on_or_after"]]:
    """The spec of a date-order test and which side of the reference the date must fall on."""
    if isinstance(test, DateByTest):
        return test.on_or_before, "on_or_before"
    return test.on_or_after, "on_or_after"


def walk(expression: Expression) -> Iterator[Expression]:
    """Every node of the tree, depth first, each before its children."""
    yield expression
    for child in children(expression):
        yield from walk(child)


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, ParamRef):
        yield value.param
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def parameters_read(expression: Expression) -> list[str]:
    """Names of the parameters an expression reads, in order of first use."""
    names: list[str] = []
    for node in walk(expression):
        match node:
            case AllOf() | AnyOf() | NotOf() | AnyItemTest() | MRDTest():
                pass  # nothing of their own; walk visits the children
            case FieldTest():
                for value in (node.equals, node.in_, node.contains_any):
                    names += _refs(value)
                names += [n for _, bound in node.used_orderings() for n in _refs(bound)]
            case AgeTest():
                names += _refs(node.age.on)
                names += [n for _, bound in node.age.used_orderings() for n in _refs(bound)]
            case WindowTest():
                names += [*_refs(node.overlaps_window.days_before), *_refs(node.overlaps_window.reference)]
            case DateByTest() | DateFromTest():
                names += _refs(date_order(node)[0].reference)
            case _:
                assert_never(node)
    return list(dict.fromkeys(names))
