"""What the FHIR import's mappers share: the collector of their offers, the reference resolver, and
readers of FHIR elements (dates, codings, vocabulary values, MRD fractions).

A mapper never decides a conflict: it offers what its resource says (:class:`Collector`), and
:mod:`remission.interop.fhir_import` keeps a field only when every offer agrees.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from remission.errors import FieldProblem
from remission.interop import fhir_import_codes as codes
from remission.interop.fhir_bundle import BundleEntry
from remission.interop.fhir_report import IgnoredItem


@dataclass(frozen=True, slots=True)
class Offer:
    value: Any
    element: str
    shown: str


@dataclass(frozen=True, slots=True)
class WbcCount:
    on: dt.date | None
    value_1e9_per_l: float
    element: str
    shown: str


@dataclass
class Collector:
    """What the mappers found: offers per record field, reasons a field stays unknown, problems."""

    offers: dict[str, list[Offer]] = field(default_factory=dict)
    unsettled: dict[str, list[str]] = field(default_factory=dict)
    ignored: list[IgnoredItem] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)
    wbc_counts: list[WbcCount] = field(default_factory=list)
    items: dict[str, list[Offer]] = field(default_factory=dict)

    def offer(self, name: str, value: Any, element: str, shown: str | None = None) -> None:
        self.offers.setdefault(name, []).append(Offer(value, element, str(value) if shown is None else shown))

    def add_item(self, name: str, value: dict[str, Any], element: str, shown: str) -> None:
        """One item of a list field (an MRD result, an attestation)."""
        self.items.setdefault(name, []).append(Offer(value, element, shown))

    def add_mrd(
        self,
        element: str,
        time_point: StrEnum,
        method: StrEnum,
        sample_date: dt.date,
        value_fraction: float,
        sensitivity_fraction: float | None,
    ) -> None:
        """One MRD result, in the record's words (fractions, not percent)."""
        item = {
            "time_point": time_point.value,
            "method": method.value,
            "sample_date": sample_date,
            "value_fraction": value_fraction,
            "sensitivity_fraction": sensitivity_fraction,
        }
        self.add_item("mrd", item, element, f"{time_point.value}: {value_fraction:g} ({method.value})")

    def unsettle(self, name: str, reason: str) -> None:
        self.unsettled.setdefault(name, []).append(reason)

    def ignore(self, element: str, reason: str) -> None:
        self.ignored.append(IgnoredItem(element, reason))

    def problem(self, element: str, message: str) -> None:
        self.problems.append(FieldProblem(element, message))


class References:
    """Resolves ``Type/id`` and ``fullUrl`` references to the bundle's own resources."""

    def __init__(self, entries: list[BundleEntry], full_urls: list[str | None]) -> None:
        self._by_key: dict[str, BundleEntry] = {}
        for entry, full_url in zip(entries, full_urls, strict=True):
            if entry.resource.id:
                self._by_key[f"{entry.resource.get_resource_type()}/{entry.resource.id}"] = entry
            if full_url:
                self._by_key[full_url] = entry
        self.used: set[int] = set()

    def resolve(self, reference: Any, kind: str) -> BundleEntry | None:
        key = getattr(reference, "reference", None)
        entry = self._by_key.get(key) if key else None
        if entry is None or entry.resource.get_resource_type() != kind:
            return None
        self.used.add(entry.index)
        return entry


def full_date(value: Any) -> dt.date | None:
    """A FHIR date or dateTime as a calendar date (as written, no time-zone shift); None when partial."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def codings(concept: Any) -> list[tuple[str, str]]:
    """The (system, code) pairs of a CodeableConcept; empty when it has none."""
    return [(c.system or "", c.code or "") for c in (getattr(concept, "coding", None) or [])]


def all_codings(concepts: Any) -> list[tuple[str, str]]:
    """The (system, code) pairs of a list of CodeableConcepts."""
    return [pair for concept in concepts or [] for pair in codings(concept)]


def vocabulary_member(kind: type[StrEnum], value: Any, element: str, collector: Collector) -> StrEnum | None:
    """``value`` as a member of the record's vocabulary ``kind``; else a problem naming ``element``."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(repr(v.value) for v in kind)
        collector.problem(element, f"{value!r} is not one of {allowed}")
        return None


def quantity_fraction(quantity: Any, element: str, collector: Collector) -> float | None:
    """An MRD Quantity as a fraction (UCUM '1' or '%'); None when absent, a problem in another unit."""
    if quantity is None or quantity.value is None:
        return None
    if quantity.system not in (None, codes.UCUM) or quantity.code not in codes.MRD_UNIT_FACTORS:
        collector.problem(
            f"{element}.code",
            f"MRD unit {quantity.code or quantity.unit!r} is not '1' (a fraction) or '%'",
        )
        return None
    return float(Decimal(quantity.value) * codes.MRD_UNIT_FACTORS[quantity.code])
