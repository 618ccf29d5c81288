"""Compiled expression nodes: each runs over a whole scope at once.

A node returns an :class:`Outcome`: internal Kleene codes per element (see :mod:`.kleene`),
the missing-field masks of its own slots, and its children's outcomes, so that the missing
fields can be gathered afterwards along unknown branches only.
"""

from __future__ import annotations

import operator
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from remission.record.ages import AgeUnit
from remission.record.vocabulary import MRDTimePoint
from remission.rules.columnar.frame import Scope
from remission.rules.columnar.kleene import F, T, U, decided
from remission.rules.columnar.missing import MissingCollector, Slot
from remission.rules.columnar.mrd import INDETERMINATE, NEGATIVE, POSITIVE
from remission.rules.columnar.predicates import any_per_record, membership_hits, record_hits

LogicKind = Literal["all", "any", "not"]

ORDERINGS: dict[str, Callable[[Any, Any], Any]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


@dataclass(slots=True)
class Outcome:
    """A node's internal truth codes over its scope, its own missing-field masks, its children."""

    truth: NDArray[np.int8]
    scope: Scope
    own: list[tuple[Slot, NDArray[np.bool_]]] = field(default_factory=list)
    children: list[Outcome] = field(default_factory=list)

    def collect(self, chain: NDArray[np.bool_], into: MissingCollector) -> None:
        """Add the missing fields of every unknown node reached through unknown nodes only."""
        chain = chain & (self.truth == U)
        if not chain.any():
            return
        for slot, mask in self.own:
            into.add(slot, mask & chain, self.scope.rows, self.scope.positions)
        for child in self.children:
            lifted = chain if child.scope.items is self.scope.items else child.scope.lift(chain)
            child.collect(lifted, into)


class Node(ABC):
    """A compiled expression node."""

    @abstractmethod
    def run(self, scope: Scope) -> Outcome:
        """Evaluate the node over ``scope``: truth codes and the missing fields behind unknowns."""


@dataclass(frozen=True, slots=True, eq=False)
class Logic(Node):
    """``all`` (minimum), ``any`` (maximum) or ``not`` (2 - x) of the children."""

    kind: LogicKind
    children: tuple[Node, ...]

    def run(self, scope: Scope) -> Outcome:
        outcomes = [child.run(scope) for child in self.children]
        if self.kind == "not":
            truth = (T - outcomes[0].truth).astype(np.int8)
        else:
            reduce = np.minimum if self.kind == "all" else np.maximum
            truth = outcomes[0].truth
            for outcome in outcomes[1:]:
                truth = reduce(truth, outcome.truth)
        return Outcome(truth, scope, children=outcomes)


@dataclass(frozen=True, slots=True, eq=False)
class Present(Node):
    """``present: true|false``: decided whether or not the field is recorded."""

    path: str
    want: bool

    def run(self, scope: Scope) -> Outcome:
        recorded = scope.view(self.path).valid
        return Outcome(np.where(recorded == self.want, T, F).astype(np.int8), scope)


@dataclass(frozen=True, slots=True, eq=False)
class Compare(Node):
    """``equals``/``in`` (``values``) or an ordering (``ordering``) on a scalar field.

    Unknown where the field is not recorded. ``equals: x`` is ``in: [x]``: Python's ``in``
    compares with ``==``, as the scalar engine does.
    """

    path: str
    slot: Slot
    values: Sequence[Any] = ()
    ordering: tuple[str, Any] | None = None  # (lt | le | gt | ge, limit)

    def run(self, scope: Scope) -> Outcome:
        view = scope.view(self.path)
        if self.ordering is not None:
            if view.kind not in ("float", "int"):  # pragma: no cover - refused by expression_problems
                raise TypeError(f"{self.path}: an ordering needs a numeric field")
            name, limit = self.ordering
            hit = ORDERINGS[name](view.data, limit)
        elif view.kind in ("float", "int", "string", "enum", "bool", "date"):
            hit = membership_hits(view, self.values)
        else:  # a map (immunophenotype): compare the plain values read from the records
            hit = record_hits(scope, self.path, lambda value: value in self.values)
        return Outcome(decided(hit, view.valid), scope, own=[(self.slot, ~view.valid)])


@dataclass(frozen=True, slots=True, eq=False)
class ContainsAny(Node):
    """``contains_any`` on a list field: met when a recorded item is one of the values."""

    path: str
    slot: Slot
    wanted: Sequence[Any]
    of_records: bool

    def run(self, scope: Scope) -> Outcome:
        cohort = scope.frame.cohort
        recorded = cohort.view(self.path).valid
        if not self.of_records:
            parts, items = cohort.scalar_items(self.path)
            hit = any_per_record(parts.parents, membership_hits(items, self.wanted), len(cohort))
        elif any(isinstance(value, dict) for value in self.wanted):
            hit = record_hits(scope, self.path, lambda value: any(i in self.wanted for i in value))
        else:  # items of a list of records are dicts, equal only to a dict
            hit = np.zeros(len(cohort), dtype=bool)
        return Outcome(decided(hit, recorded), scope, own=[(self.slot, ~recorded)])


@dataclass(frozen=True, slots=True, eq=False)
class Age(Node):
    """Age in completed ``unit`` on a reference date, compared with a limit."""

    reference: str
    unit: AgeUnit
    ordering: tuple[str, Any]
    born_slot: Slot
    reference_slot: Slot

    def run(self, scope: Scope) -> Outcome:
        frame = scope.frame
        years_or_days, known = frame.age(self.reference, self.unit)
        name, limit = self.ordering
        truth = decided(ORDERINGS[name](years_or_days, limit), known)
        born = frame.cohort.view("patient.date_of_birth").valid
        on = frame.reference(self.reference).known
        own = [(self.born_slot, scope.lift(~born)), (self.reference_slot, scope.lift(~on))]
        return Outcome(scope.lift(truth), scope, own=own)


@dataclass(frozen=True, slots=True, eq=False)
class AnyItem(Node):
    """``any_item``: met when some item of a recorded list satisfies ``where``."""

    path: str
    slot: Slot
    where: Node

    def run(self, scope: Scope) -> Outcome:
        cohort = scope.frame.cohort
        recorded = cohort.view(self.path).valid
        listed = cohort.items(self.path)
        inner = self.where.run(Scope(scope.frame, listed))
        rows, n = listed.parents, len(cohort)
        truth = np.full(n, F, dtype=np.int8)
        truth[any_per_record(rows, inner.truth == U, n)] = U
        truth[any_per_record(rows, inner.truth == T, n)] = T
        truth[~recorded] = U
        return Outcome(truth, scope, own=[(self.slot, ~recorded)], children=[inner])


@dataclass(frozen=True, slots=True, eq=False)
class Window(Node):
    """``overlaps_window``: the period [start, end] meets the days up to a reference date."""

    start: str
    end: str
    days_before: int
    reference: str
    reference_slot: Slot
    start_slot: Slot

    def run(self, scope: Scope) -> Outcome:
        reference = scope.frame.reference(self.reference)
        on, on_known = scope.lift(reference.days), scope.lift(reference.known)
        start, end = scope.view(self.start), scope.view(self.end)
        overlaps = (start.data <= on) & (~end.valid | (end.data >= on - self.days_before))
        truth = decided(overlaps, on_known & start.valid)
        return Outcome(truth, scope, own=[(self.reference_slot, ~on_known), (self.start_slot, ~start.valid)])


@dataclass(frozen=True, slots=True, eq=False)
class DateBy(Node):
    """``on_or_before`` (``on_or_after`` when ``after``): a recorded date's side of a reference date."""

    path: str
    reference: str
    slot: Slot
    reference_slot: Slot
    after: bool = False

    def run(self, scope: Scope) -> Outcome:
        reference = scope.frame.reference(self.reference)
        on, on_known = scope.lift(reference.days), scope.lift(reference.known)
        value = scope.view(self.path)
        truth = decided(value.data >= on if self.after else value.data <= on, value.valid & on_known)
        return Outcome(truth, scope, own=[(self.slot, ~value.valid), (self.reference_slot, ~on_known)])


@dataclass(frozen=True, slots=True, eq=False)
class MRD(Node):
    """``mrd``: the combined call at a time point is the wanted result; indeterminate is unknown."""

    time_point: MRDTimePoint
    positive: bool
    slot: Slot

    def run(self, scope: Scope) -> Outcome:
        calls = scope.frame.mrd(self.time_point)
        wanted = POSITIVE if self.positive else NEGATIVE
        truth = decided(calls == wanted, calls != INDETERMINATE)
        return Outcome(scope.lift(truth), scope, own=[(self.slot, scope.lift(calls == INDETERMINATE))])
