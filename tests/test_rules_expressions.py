"""The expression tree's one walk, and dispatches that fail loudly on a node type they do not handle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest
from pydantic import TypeAdapter

from remission.record import PatientRecord
from remission.rules import EvaluationContext, evaluate, expression_problems
from remission.rules.columnar.compiler import _Builder
from remission.rules.expressions import (
    AllOf,
    AnyItemTest,
    Expression,
    ExpressionModel,
    FieldTest,
    NotOf,
    children,
    walk,
)
from remission.trials.cohort import parameters_read

TREE: Expression = TypeAdapter(Expression).validate_python(
    {
        "all": [
            {"field": "diagnosis.who_type", "equals": "B-ALL"},
            {"not": {"field": "genetics.ph_status", "equals": "positive"}},
            {
                "any_item": {
                    "list": "prior_steroids",
                    "where": {"field": "drug", "equals": {"param": "steroid"}},
                }
            },
        ]
    }
)


class UnhandledTest(ExpressionModel):
    """A node type that no dispatch knows, as a newly added one would be before it is handled."""

    unhandled: int = 1


def _record() -> PatientRecord:
    return PatientRecord.model_validate({"patient": {"study_id": "P-001"}})


TRAVERSALS: dict[str, Callable[[Any], object]] = {
    "children": children,
    "walk": lambda node: list(walk(node)),
    "evaluate": lambda node: evaluate(node, EvaluationContext(_record(), {}, {})),
    "expression_problems": lambda node: expression_problems(node, PatientRecord, {}, has_mrd_rules=False),
    "columnar compiler": lambda node: _Builder({}).build(node),
    "parameters_read": parameters_read,
}
# children looks one level down only; every other traversal goes through the whole tree.
WHOLE_TREE = {name: traversal for name, traversal in TRAVERSALS.items() if name != "children"}


class TestWalk:
    def test_children_of_each_node(self):
        """``children`` gives the operands of all and not, the where of any_item, and none of a test."""
        assert isinstance(TREE, AllOf)
        first, negated, any_item = children(TREE)

        assert children(first) == ()
        assert isinstance(negated, NotOf)
        assert children(negated) == (negated.not_,)
        assert isinstance(any_item, AnyItemTest)
        assert children(any_item) == (any_item.any_item.where,)

    def test_walk_visits_every_node_parent_first(self):
        """``walk`` yields the root, then each subtree depth first, into any_item's where."""
        fields = [node.field for node in walk(TREE) if isinstance(node, FieldTest)]

        assert type(next(walk(TREE))) is AllOf
        assert len(list(walk(TREE))) == 6
        assert fields == ["diagnosis.who_type", "genetics.ph_status", "drug"]

    def test_parameters_read_inside_any_item(self):
        """A parameter read only inside an any_item's where is found through the walk."""
        assert parameters_read(TREE) == ["steroid"]


class TestUnhandledNodeType:
    @pytest.mark.parametrize("traversal", TRAVERSALS.values(), ids=TRAVERSALS.keys())
    def test_fails_loudly(self, traversal: Callable[[Any], object]):
        """A node type a dispatch does not handle raises instead of passing silently."""
        node = cast(Expression, UnhandledTest())

        with pytest.raises(AssertionError, match="Expected code to be unreachable"):
            traversal(node)

    @pytest.mark.parametrize("traversal", WHOLE_TREE.values(), ids=WHOLE_TREE.keys())
    def test_fails_loudly_below_the_root(self, traversal: Callable[[Any], object]):
        """An unhandled node inside a ``not`` is reached by every traversal, and raises."""
        node = NotOf.model_construct(not_=cast(Expression, UnhandledTest()))

        with pytest.raises(AssertionError, match="Expected code to be unreachable"):
            traversal(node)
