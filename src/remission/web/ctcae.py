"""The adverse-event term list of the term search (``data/ctcae_terms.yaml``, a sourced CTCAE v5.0 subset)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

ALL_GRADES = (1, 2, 3, 4, 5)


@dataclass(frozen=True, slots=True)
class Term:
    term: str
    system_organ_class: str
    grades: tuple[int, ...] = ALL_GRADES


@cache
def terms() -> tuple[Term, ...]:
    """Every listed term, sorted by name, with its system organ class and the grades it has."""
    text = (resources.files("remission.web") / "data" / "ctcae_terms.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    found = [
        Term(item["term"], soc, tuple(item.get("grades", ALL_GRADES)))
        for soc, items in data["terms"].items()
        for item in items
    ]
    return tuple(sorted(found, key=lambda t: t.term.lower()))


@cache
def terminology() -> str:
    """The terminology the list is taken from, e.g. ``CTCAE v5.0``."""
    text = (resources.files("remission.web") / "data" / "ctcae_terms.yaml").read_text("utf-8")
    return str(yaml.safe_load(text)["terminology"])


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
