"""The adverse-event term list of the term search (``data/ctcae_terms.yaml``, a sourced CTCAE v5.0 subset)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from remission.datafiles import DataFileKind
from remission.errors import FieldProblem

ALL_GRADES = (1, 2, 3, 4, 5)

Grade = Annotated[int, Field(ge=1, le=5)]


class _ListModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ListedTerm(_ListModel):
    term: str = Field(min_length=1)
    grades: tuple[Grade, ...] = Field(default=ALL_GRADES, min_length=1)


class TermList(_ListModel):
    """The file ``data/ctcae_terms.yaml``: terms by system organ class, with their sources."""

    terminology: str
    source: str
    grade_source: str
    terms: dict[str, list[ListedTerm]]


def _repeated_terms(term_list: TermList) -> list[FieldProblem]:
    # grade_problem reads the first entry of a term; a second one would be ignored silently.
    counts = Counter(item.term.lower() for items in term_list.terms.values() for item in items)
    return [FieldProblem("terms", f"{term!r} is listed {n} times") for term, n in counts.items() if n > 1]


TERM_LIST_FILE = DataFileKind(TermList, checks=_repeated_terms)


@cache
def _term_list() -> TermList:
    text = (resources.files("remission.web") / "data" / "ctcae_terms.yaml").read_text("utf-8")
    return TERM_LIST_FILE.load_text(text, source="ctcae_terms.yaml")


@dataclass(frozen=True, slots=True)
class Term:
    term: str
    system_organ_class: str
    grades: tuple[int, ...] = ALL_GRADES


@cache
def terms() -> tuple[Term, ...]:
    """Every listed term, sorted by name, with its system organ class and the grades it has."""
    found = [Term(item.term, soc, item.grades) for soc, items in _term_list().terms.items() for item in items]
    return tuple(sorted(found, key=lambda t: t.term.lower()))


@cache
def terminology() -> str:
    """The terminology the list is taken from, e.g. ``CTCAE v5.0``."""
    return _term_list().terminology


def search(query: str, limit: int = 20) -> list[Term]:
    """Terms containing ``query`` (case-insensitive); those starting with it first."""
    wanted = query.strip().lower()
    if not wanted:
        return list(terms()[:limit])
    hits = [t for t in terms() if wanted in t.term.lower() or wanted in t.system_organ_class.lower()]
    hits.sort(key=lambda t: (not t.term.lower().startswith(wanted), t.term.lower()))
    return hits[:limit]


def grade_problem(term: str, grade: int, used_terminology: str) -> str | None:
    """Why ``grade`` does not exist for a listed ``term`` of this terminology; None when it may."""
    if used_terminology != terminology():
        return None
    for known in terms():
        if known.term.lower() == term.strip().lower() and grade not in known.grades:
            graded = ", ".join(str(g) for g in known.grades)
            return f"{known.term} has grades {graded} in {used_terminology}; grade {grade} does not exist"
    return None
