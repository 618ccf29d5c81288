"""Cumulative doxorubicin-equivalent anthracycline dose, from versioned conversion factors.

Factors live in ``data/anthracycline_equivalence.yaml`` with their source. A dose of a
drug without an agreed factor makes the running total unknown from that dose on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from remission.datafiles import DataFileKind
from remission.errors import FieldProblem


class _TableModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_TableModel):
    citation: str = Field(min_length=1)


class Factor(_TableModel):
    """A drug's doxorubicin-equivalent factor (``None``: no agreed factor) and its source."""

    factor: Annotated[float, Field(gt=0)] | None
    source: str
    note: str | None = None


class ConversionTable(_TableModel):
    """The file ``data/anthracycline_equivalence.yaml``."""

    version: str
    sources: dict[str, Source]
    drugs: dict[str, Factor] = Field(min_length=1)


def _unknown_sources(table: ConversionTable) -> list[FieldProblem]:
    return [
        FieldProblem(f"drugs.{name}.source", f"unknown source {entry.source!r}")
        for name, entry in table.drugs.items()
        if entry.source not in table.sources
    ]


CONVERSION_TABLE_FILE = DataFileKind(ConversionTable, checks=_unknown_sources)


@dataclass(frozen=True, slots=True)
class DoseLine:
    date: date
    drug: str
    dose_mg_per_m2: float
    doxorubicin_equivalent_mg_per_m2: float | None
    running_total_mg_per_m2: float | None


@cache
def conversion_factors() -> dict[str, float | None]:
    """Drug name (lower case) to its doxorubicin-equivalent factor (``None``: no agreed factor)."""
    text = (resources.files("remission.record") / "data" / "anthracycline_equivalence.yaml").read_text(
        "utf-8"
    )
    table = CONVERSION_TABLE_FILE.load_text(text, source="anthracycline_equivalence.yaml")
    return {name.lower(): entry.factor for name, entry in table.drugs.items()}


def known_drugs() -> list[str]:
    """Every drug of the conversion table, lower case and sorted."""
    return sorted(conversion_factors())


def running_totals(doses: Iterable[tuple[date, str, float]]) -> list[DoseLine]:
    """Each dose with its doxorubicin equivalent and the running total, in date order.

    Raises ``KeyError`` for a drug that is not in the conversion table.
    """
    factors = conversion_factors()
    total: float | None = 0.0
    lines = []
    for when, drug, dose in sorted(doses, key=lambda item: item[0]):
        factor = factors[drug.lower()]
        equivalent = None if factor is None else dose * factor
        total = None if total is None or equivalent is None else total + equivalent
        lines.append(DoseLine(when, drug, dose, equivalent, total))
    return lines
