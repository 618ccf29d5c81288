"""Edit checks a protocol file declares: what must hold when a course row is written.

Each check names the form it guards, the field a failure is reported on, and an expression in
the same rule language as eligibility (``must``), evaluated by the same three-valued engine
against the row being written (``row.<column>``) and derived values of the child's course. A
check *fires* only when ``must`` is **not met**; an unknown input never fires it. A *hard*
check refuses the write (422 naming the field); a *soft* one saves it and opens a data query.

Besides ``diagnosis`` and ``study_entry``, a check's date tests may name the reference dates in
:data:`CHECK_REFERENCE_DATES`; :mod:`remission.conduct.edit_checks` computes each of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from remission.errors import FieldProblem
from remission.protocols.base import Identifier, ProtocolModel
from remission.protocols.schedule import CourseForm
from remission.rules.evaluation import REFERENCE_WORDS
from remission.rules.expressions import (
    AgeTest,
    AnyItemTest,
    DateByTest,
    DateFromTest,
    Expression,
    FieldTest,
    ParamRef,
    WindowTest,
    children,
    date_order,
    parameters_read,
    walk,
)


class Severity(StrEnum):
    HARD = "hard"  # the write is refused
    SOFT = "soft"  # the write is saved and a data query is opened


#: Reference dates an edit check may name (unknown when not recorded); their words are in
#: :data:`remission.rules.evaluation.REFERENCE_WORDS`.
CHECK_REFERENCE_DATES: tuple[str, ...] = tuple(REFERENCE_WORDS)

#: Values derived from the child's course that an edit check may read besides ``row.<column>``.
CHECK_DERIVED_FIELDS: dict[str, str] = {
    "cumulative_doxorubicin_equivalent_mg_per_m2": (
        "the child's cumulative anthracycline dose in doxorubicin equivalents (mg/m²), this row included;"
        " unknown when a dose's drug has no agreed conversion factor"
    ),
    "cumulative_doxorubicin_equivalent_before_mg_per_m2": (
        "the same total before this dose (doses dated on or before it, this one left out)"
    ),
}


class EditCheck(ProtocolModel):
    id: Identifier
    label: str = Field(min_length=1, description="What the check asks, in words.")
    form: CourseForm = Field(description="The course form whose writes the check guards.")
    field: str = Field(
        pattern=r"^[a-z][a-z0-9_]{0,63}$", description="The column a failure is reported on (and queried)."
    )
    severity: Severity
    must: Expression = Field(description="What must hold; the check fires when it is not met.")
    message: str = Field(min_length=1, description="Shown when the check fires: what is wrong, in words.")
    source: str | None = Field(default=None, description="Id of a provenance source.")
    assumption: bool = Field(default=False, description="True when no source asks for this check.")
    note: str | None = None

    @model_validator(mode="after")
    def _sourced_or_assumed(self) -> EditCheck:
        if self.source is None and not self.assumption:
            raise ValueError("an edit check needs a source or assumption: true")
        return self


def _outside_items(expression: Expression) -> Iterator[Expression]:
    """The nodes of the tree, depth first, but not inside an ``any_item`` (whose paths are relative)."""
    yield expression
    if not isinstance(expression, AnyItemTest):
        for child in children(expression):
            yield from _outside_items(child)


def paths_read(expression: Expression) -> Iterator[str]:
    """The record paths an expression reads (the list of an ``any_item``, not inside it)."""
    for node in _outside_items(expression):
        match node:
            case FieldTest():
                yield node.field
            case DateByTest() | DateFromTest():
                yield date_order(node)[0].field
            case WindowTest():
                yield from (node.overlaps_window.start, node.overlaps_window.end)
            case AnyItemTest():
                yield node.any_item.list_
            case _:
                pass


def references_read(expression: Expression) -> Iterator[object]:
    """The reference dates an expression's date and age tests name (a name or a ``ParamRef``)."""
    for node in walk(expression):
        match node:
            case DateByTest() | DateFromTest():
                yield date_order(node)[0].reference
            case WindowTest():
                yield node.overlaps_window.reference
            case AgeTest():
                yield node.age.on
            case _:
                pass


def edit_check_problems(
    checks: list[EditCheck], parameters: Mapping[str, Any], sources: set[str]
) -> list[FieldProblem]:
    """Repeated ids, unknown sources, parameters and reference dates, and paths outside the row.

    Whether each ``row.<column>`` exists on its form is checked by the store, which knows the
    columns (``remission.store.edit_check_column_problems``).
    """
    problems = [
        FieldProblem("edit_checks", f"id {value!r} is used {count} times")
        for value, count in Counter(check.id for check in checks).items()
        if count > 1
    ]
    for i, check in enumerate(checks):
        where = f"edit_checks[{i}]"
        if check.source is not None and check.source not in sources:
            problems.append(FieldProblem(f"{where}.source", f"unknown source {check.source!r}"))
        for path in paths_read(check.must):
            if not path.startswith("row.") and path not in CHECK_DERIVED_FIELDS:
                problems.append(
                    FieldProblem(
                        f"{where}.must",
                        f"{path!r} is neither row.<column> nor one of {sorted(CHECK_DERIVED_FIELDS)}",
                    )
                )
        for reference in references_read(check.must):
            name = parameters.get(reference.param) if isinstance(reference, ParamRef) else reference
            if name not in CHECK_REFERENCE_DATES:
                problems.append(
                    FieldProblem(
                        f"{where}.must",
                        f"unknown reference date {name!r}; use one of {sorted(CHECK_REFERENCE_DATES)}",
                    )
                )
        for name in parameters_read(check.must):
            if name not in parameters:
                problems.append(FieldProblem(f"{where}.must", f"unknown parameter {name!r}"))
    return problems
