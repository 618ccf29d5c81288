"""What a protocol's SDV plan asks for, as record paths: the inputs of its eligibility and risk rules.

Pure functions of the protocol file. The store maps each record path to items of a child's data
(a baseline field, the date of birth, the consent rows, the MRD rows of a time point).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from remission.errors import FieldProblem
from remission.protocols.edit_checks import paths_read, references_read
from remission.protocols.model import Protocol
from remission.record.vocabulary import MRDTimePoint
from remission.rules.evaluation import REFERENCE_DATES
from remission.rules.expressions import AgeTest, Expression, MRDTest, ParamRef, walk

#: The record path an age test reads besides its reference date.
BIRTH_DATE = "patient.date_of_birth"


@dataclass(frozen=True, slots=True)
class DecisionInputs:
    """The record paths a set of rules reads (sorted) and the MRD time points they test."""

    paths: tuple[str, ...]
    mrd_time_points: tuple[MRDTimePoint, ...]


def _reference_path(reference: object, parameters: Mapping[str, Any]) -> str | None:
    if isinstance(reference, ParamRef):
        reference = parameters.get(reference.param)
    return REFERENCE_DATES.get(reference) if isinstance(reference, str) else None


def decision_inputs(expressions: Iterable[Expression], parameters: Mapping[str, Any]) -> DecisionInputs:
    """Every record path ``expressions`` read: fields (a list for ``any_item``, not the paths inside
    it), the date of birth of an age test, the record date behind each reference date."""
    paths: set[str] = set()
    points: set[MRDTimePoint] = set()
    for expression in expressions:
        paths.update(paths_read(expression))
        for reference in references_read(expression):
            if (path := _reference_path(reference, parameters)) is not None:
                paths.add(path)
        for node in walk(expression):
            if isinstance(node, AgeTest):
                paths.add(BIRTH_DATE)
            elif isinstance(node, MRDTest):
                points.add(node.mrd.time_point)
    order = list(MRDTimePoint)
    return DecisionInputs(tuple(sorted(paths)), tuple(sorted(points, key=order.index)))


def eligibility_inputs(protocol: Protocol) -> DecisionInputs:
    """The inputs of the protocol's automatic eligibility criteria."""
    expressions = [c.expression for c in protocol.eligibility or [] if c.expression is not None]
    return decision_inputs(expressions, protocol.parameter_values())


def risk_inputs(protocol: Protocol) -> DecisionInputs:
    """The inputs of the protocol's stratification rules, at every time point."""
    strat = protocol.stratification
    expressions = [rule.when for point in strat.time_points for rule in point.rules] if strat else []
    return decision_inputs(expressions, protocol.parameter_values())


def verification_problems(protocol: Protocol) -> list[FieldProblem]:
    """Unknown sources of the plan's entries (columns of ``where`` are checked by the store)."""
    sources = {source.id for source in protocol.provenance.sources}
    return [
        FieldProblem(f"source_verification[{i}].source", f"unknown source {entry.source!r}")
        for i, entry in enumerate(protocol.source_verification)
        if entry.source is not None and entry.source not in sources
    ]
