"""What a compiled expression reads while it runs: the cohort, reference dates, ages, MRD calls.

A :class:`Frame` lives for one evaluation run (one cohort, one screening date, one set of
MRD rules) and caches what several criteria share. A :class:`Scope` is where a node is
evaluated: the records themselves, or the items of one list inside ``any_item``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from remission.record.ages import AgeUnit
from remission.record.vocabulary import MRDTimePoint
from remission.rules.columnar.ages import ages
from remission.rules.columnar.arrays import EPOCH
from remission.rules.columnar.cohort import Cohort, Items, View
from remission.rules.columnar.mrd import mrd_calls
from remission.rules.evaluation import REFERENCE_DATES
from remission.rules.mrd import MRDRules

StudyEntry = Literal["recorded", "as_of"]


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference date per record (days since 1970-01-01) and where it is known."""

    days: NDArray[np.int64]
    known: NDArray[np.bool_]
    source: str  # the field named as missing when the date is not known


@dataclass
class Frame:
    """One evaluation run over a cohort."""

    cohort: Cohort
    as_of: date
    mrd_rules: MRDRules | None = None
    #: "recorded": a record's study_entry_date, else ``as_of`` (protocol screening);
    #: "as_of": ``as_of`` for every record (trial matching: the child would enter now).
    study_entry: StudyEntry = "recorded"
    _references: dict[str, Reference] = field(default_factory=dict)
    _ages: dict[tuple[str, AgeUnit], tuple[NDArray[np.int64], NDArray[np.bool_]]] = field(
        default_factory=dict
    )
    _mrd: dict[MRDTimePoint, NDArray[np.int8]] = field(default_factory=dict)

    def reference(self, name: str) -> Reference:
        """The reference date ``name``; study entry falls back to the screening date ``as_of``."""
        if name not in self._references:
            view = self.cohort.view(REFERENCE_DATES[name])
            if name == "study_entry":
                as_of = int((np.datetime64(self.as_of, "D") - EPOCH).astype(np.int64))
                days = (
                    np.where(view.valid, view.values, as_of)
                    if self.study_entry == "recorded"
                    else np.full(len(view.valid), as_of, dtype=np.int64)
                )
                # Never missing: the screening date stands in (the source differs, not the outcome).
                self._references[name] = Reference(
                    days, np.ones(len(days), dtype=bool), REFERENCE_DATES[name]
                )
            else:
                self._references[name] = Reference(view.values, view.valid, REFERENCE_DATES[name])
        return self._references[name]

    def age(self, reference: str, unit: AgeUnit) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        """Age on the reference date in completed ``unit``, and where it is known."""
        key = (reference, unit)
        if key not in self._ages:
            born = self.cohort.view("patient.date_of_birth")
            on = self.reference(reference)
            known = born.valid & on.known & (on.days >= born.values)
            self._ages[key] = (ages(born.values, on.days, unit), known)
        return self._ages[key]

    def mrd(self, time_point: MRDTimePoint) -> NDArray[np.int8]:
        """Combined MRD call per record at ``time_point``."""
        if self.mrd_rules is None:
            raise LookupError("an mrd test needs the protocol's mrd parameters")
        if time_point not in self._mrd:
            self._mrd[time_point] = mrd_calls(self.cohort, time_point, self.mrd_rules)
        return self._mrd[time_point]


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a node runs: the records (``items`` is None) or the items of one list."""

    frame: Frame
    items: Items | None = None

    @property
    def rows(self) -> NDArray[np.int64] | None:
        return None if self.items is None else self.items.parents

    @property
    def positions(self) -> NDArray[np.int64] | None:
        return None if self.items is None else self.items.positions

    def view(self, path: str) -> View:
        """The view of ``path``: a record column, or an item field inside ``any_item``."""
        return self.frame.cohort.view(path) if self.items is None else self.items.views[path]

    def lift(self, per_record: NDArray[Any]) -> NDArray[Any]:
        """A per-record array, repeated for each item when the scope is a list's items."""
        return per_record if self.items is None else per_record[self.items.parents]
