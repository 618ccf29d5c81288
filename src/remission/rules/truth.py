"""Three-valued (Kleene) logic: met, not met, unknown."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Truth(StrEnum):
    """The outcome of a criterion or predicate. Missing data gives ``UNKNOWN``."""

    MET = "met"
    NOT_MET = "not met"
    UNKNOWN = "unknown"

    @classmethod
    def of(cls, value: bool) -> Truth:
        return cls.MET if value else cls.NOT_MET

    def negate(self) -> Truth:
        if self is Truth.UNKNOWN:
            return self
        return Truth.NOT_MET if self is Truth.MET else Truth.MET


def all_of(values: Iterable[Truth]) -> Truth:
    """Kleene AND: not met if any is not met, else unknown if any is unknown, else met."""
    seen = set(values)
    if Truth.NOT_MET in seen:
        return Truth.NOT_MET
    return Truth.UNKNOWN if Truth.UNKNOWN in seen else Truth.MET


def any_of(values: Iterable[Truth]) -> Truth:
    """Kleene OR: met if any is met, else unknown if any is unknown, else not met."""
    seen = set(values)
    if Truth.MET in seen:
        return Truth.MET
    return Truth.UNKNOWN if Truth.UNKNOWN in seen else Truth.NOT_MET
