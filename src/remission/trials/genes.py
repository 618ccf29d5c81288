"""Gene symbols and fusion notation: what trial files may name, and what a record's genetics hold.

A trial file that names a gene outside the shipped list (``data/genes.yaml``) or writes a fusion
in any notation other than HGNC's ``5'GENE::3'GENE`` is refused, naming the item. A record's
genetics are read before the record model sees them, so that a malformed fusion gets a message
that says what notation is expected; a well-formed symbol that is not in the list is a warning
(a real but rare partner gene must not block matching), never a silent skip.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict

from remission.datafiles import DataFileKind
from remission.errors import FieldProblem
from remission.record.model import FUSION_PATTERN, GENE_SYMBOL_PATTERN

_SYMBOL = re.compile(GENE_SYMBOL_PATTERN)
_FUSION = re.compile(FUSION_PATTERN)
FUSION_EXAMPLE = "KMT2A::AFF1"


class GeneList(BaseModel):
    """The file ``data/genes.yaml``: HGNC symbols by group, with its version and source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    source: str
    groups: dict[str, list[str]]


def _malformed_symbols(genes: GeneList) -> list[FieldProblem]:
    return [
        FieldProblem(f"groups.{group}[{index}]", f"{symbol!r} is not an HGNC gene symbol")
        for group, symbols in genes.groups.items()
        for index, symbol in enumerate(symbols)
        if not _SYMBOL.match(symbol)
    ]


GENE_LIST_FILE = DataFileKind(GeneList, checks=_malformed_symbols)


@cache
def known_genes() -> frozenset[str]:
    """HGNC symbols listed in the shipped ``data/genes.yaml``."""
    text = (resources.files("remission.trials") / "data" / "genes.yaml").read_text("utf-8")
    genes = GENE_LIST_FILE.load_text(text, source="genes.yaml")
    return frozenset(symbol for symbols in genes.groups.values() for symbol in symbols)


def symbol_problem(symbol: Any) -> str | None:
    """Why ``symbol`` is not a usable gene symbol, or ``None`` when it is in the list."""
    if not isinstance(symbol, str) or not _SYMBOL.match(symbol):
        return f"{symbol!r} is not an HGNC gene symbol (upper-case letters and digits, e.g. KMT2A)"
    if symbol not in known_genes():
        return f"unknown gene symbol {symbol!r}: not in remission's gene list (trials/data/genes.yaml)"
    return None


def fusion_problem(fusion: Any) -> str | None:
    """Why ``fusion`` is not a fusion in ``GENE1::GENE2`` notation, or ``None`` when it is."""
    if not isinstance(fusion, str) or not _FUSION.match(fusion):
        hint = ""
        if isinstance(fusion, str) and "::" not in fusion:
            hint = " (two colons between the genes; '-', '/' and ':' are not fusion notation)"
        return f"{fusion!r} is not a fusion in HGNC notation GENE1::GENE2, e.g. {FUSION_EXAMPLE}{hint}"
    return None


def fusion_genes(fusion: str) -> tuple[str, str]:
    """The 5' and 3' genes of a well-formed fusion."""
    five, three = fusion.split("::")
    return five, three


def _genetics(data: Any) -> dict[str, Any] | None:
    genetics = data.get("genetics") if isinstance(data, dict) else None
    return genetics if isinstance(genetics, dict) else None


def _named_genes(genetics: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Each gene symbol a record's genetics name, with its dotted path."""
    kmt2a = genetics.get("kmt2a")
    if isinstance(kmt2a, dict) and kmt2a.get("partner") is not None:
        yield "genetics.kmt2a.partner", kmt2a["partner"]
    for index, fusion in enumerate(genetics.get("fusions") or []):
        if isinstance(fusion, str) and _FUSION.match(fusion):
            for gene in fusion_genes(fusion):
                yield f"genetics.fusions[{index}]", gene
    for name in ("mutations", "copy_number_changes"):
        for index, item in enumerate(genetics.get(name) or []):
            if isinstance(item, dict) and item.get("gene") is not None:
                yield f"genetics.{name}[{index}].gene", item["gene"]


def record_notation_problems(data: Any) -> list[FieldProblem]:
    """Malformed fusions and gene symbols in a record's (decoded JSON) genetics; empty when sound."""
    genetics = _genetics(data)
    if genetics is None:
        return []
    problems = []
    fusions = genetics.get("fusions")
    if isinstance(fusions, list):
        for index, fusion in enumerate(fusions):
            problem = fusion_problem(fusion)
            if problem is not None:
                problems.append(FieldProblem(f"genetics.fusions[{index}]", problem))
    for path, gene in _named_genes(genetics):
        if not isinstance(gene, str) or not _SYMBOL.match(gene):
            problems.append(FieldProblem(path, f"{gene!r} is not an HGNC gene symbol (e.g. AFF1)"))
    return problems


def record_gene_warnings(data: Any) -> list[str]:
    """Well-formed gene symbols of a record that are not in the gene list, one line each."""
    genetics = _genetics(data)
    if genetics is None:
        return []
    return [
        f"{path}: gene {gene!r} is not in remission's gene list; check the spelling "
        f"(a trial biomarker that names the intended gene cannot match it)"
        for path, gene in _named_genes(genetics)
        if isinstance(gene, str) and _SYMBOL.match(gene) and gene not in known_genes()
    ]
