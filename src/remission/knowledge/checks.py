"""Cross-checks of knowledge-base files that one field alone cannot show.

Run at load time, so a curator's mistake is refused with the entry and field named,
never met at the bedside: unknown source ids, gene symbols missing from the gene list,
agencies without a definition, expressions that read fields the record lacks, and
disease settings that no file defines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from remission.errors import FieldProblem
from remission.knowledge.model import (
    Approval,
    CopyNumberBiomarker,
    Entry,
    FusionBiomarker,
    KnowledgeFile,
    MutationBiomarker,
    RearrangementBiomarker,
)
from remission.knowledge.vocabulary import DiseaseSetting
from remission.record.model import PatientRecord
from remission.rules.checks import expression_problems
from remission.rules.expressions import Expression


def _expression(expression: Expression, where: str) -> Iterator[FieldProblem]:
    for problem in expression_problems(expression, PatientRecord, {}, has_mrd_rules=False):
        yield FieldProblem(where, problem)


def biomarker_genes(entry: Entry) -> list[tuple[str, str]]:
    """Every gene symbol an entry's biomarker names, with the field that names it."""
    biomarker = entry.biomarker
    if isinstance(biomarker, FusionBiomarker):
        five, three = biomarker.fusion.split("::")
        return [("biomarker.fusion", five), ("biomarker.fusion", three)]
    if isinstance(biomarker, RearrangementBiomarker):
        return [(f"biomarker.genes[{i}]", gene) for i, gene in enumerate(biomarker.genes)]
    if isinstance(biomarker, MutationBiomarker | CopyNumberBiomarker):
        return [("biomarker.gene", biomarker.gene)]
    return []


def _sources(ids: Iterable[str], known: set[str], where: str) -> Iterator[FieldProblem]:
    for source in ids:
        if source not in known:
            yield FieldProblem(where, f"unknown source {source!r}; cite one of the file's provenance sources")


def _approval_problems(
    approval: Approval, where: str, known_sources: set[str], agencies: set[str]
) -> Iterator[FieldProblem]:
    yield from _sources(approval.sources, known_sources, f"{where}.sources")
    if approval.agency not in agencies:
        yield FieldProblem(f"{where}.agency", f"unknown agency {approval.agency!r}; define it under agencies")
    for i, condition in enumerate(approval.requires):
        yield from _expression(condition.when, f"{where}.requires[{i}].when")
    low, high = approval.min_age, approval.max_age
    if low is not None and high is not None and low.unit == high.unit and low.value > high.value:
        yield FieldProblem(where, "min_age is above max_age")


def entry_problems(
    entry: Entry, *, known_sources: set[str], genes: set[str], agencies: set[str]
) -> list[FieldProblem]:
    """Every problem of one entry; field paths start at the entry."""
    problems: list[FieldProblem] = []
    for field, gene in biomarker_genes(entry):
        if gene not in genes:
            problems.append(
                FieldProblem(field, f"unknown gene symbol {gene!r}; add it to a genes list with its source")
            )
    for i, finding in enumerate(entry.biomarker.also_shown_by):
        problems.extend(_expression(finding.present_when, f"biomarker.also_shown_by[{i}].present_when"))
    problems.extend(_sources(entry.sources, known_sources, "sources"))
    problems.extend(_sources(entry.evidence.sources, known_sources, "evidence.sources"))
    seen: set[str] = set()
    for i, approval in enumerate(entry.approvals):
        where = f"approvals[{i}]"
        if approval.id in seen:
            problems.append(FieldProblem(f"{where}.id", f"duplicate approval id {approval.id!r}"))
        seen.add(approval.id)
        problems.extend(_approval_problems(approval, where, known_sources, agencies))
    for i, trial in enumerate(entry.key_trials):
        problems.extend(_sources(trial.sources, known_sources, f"key_trials[{i}].sources"))
    return problems


def file_problems(file: KnowledgeFile, *, genes: set[str], agencies: set[str]) -> list[FieldProblem]:
    """Every cross-reference problem inside one file, with paths that name the entry."""
    known = {source.id for source in file.provenance.sources}
    problems: list[FieldProblem] = []
    for name, agency in file.agencies.items():
        if agency.adult_from_source is not None:
            problems.extend(_sources([agency.adult_from_source], known, f"agencies.{name}.adult_from_source"))
    for setting, definition in file.settings.items():
        where = f"settings.{setting.value}"
        problems.extend(_sources(definition.sources, known, f"{where}.sources"))
        problems.extend(_expression(definition.when, f"{where}.when"))
    for gene, info in file.genes.items():
        problems.extend(_sources(info.sources, known, f"genes.{gene}.sources"))
    for i, entry in enumerate(file.entries):
        prefix = f"entry {entry.id} (entries[{i}])"
        for problem in entry_problems(entry, known_sources=known, genes=genes, agencies=agencies):
            problems.append(FieldProblem(f"{prefix}: {problem.field}", problem.problem))
    return problems


def knowledge_base_problems(files: list[KnowledgeFile]) -> list[FieldProblem]:
    """Problems across files: duplicate ids and definitions, settings that no file defines."""
    problems: list[FieldProblem] = []
    owners: dict[tuple[str, str], str] = {}

    def claim(kind: str, name: str, file: KnowledgeFile) -> None:
        if (kind, name) in owners:
            problems.append(
                FieldProblem(f"{file.id}: {kind} {name}", f"already defined in {owners[(kind, name)]}")
            )
        owners[(kind, name)] = file.id

    for file in files:
        claim("file id", file.id, file)
        for entry in file.entries:
            claim("entry", entry.id, file)
        for name in file.agencies:
            claim("agency", name, file)
        for setting in file.settings:
            claim("setting", setting.value, file)
        for gene in file.genes:
            claim("gene", gene, file)
    defined = {setting for file in files for setting in file.settings}
    for setting in DiseaseSetting:
        if setting not in defined:
            problems.append(FieldProblem("settings", f"no file defines the setting {setting.value!r}"))
    return problems


def entry_label(data: Any, index: int) -> str:
    """``entry ID (entries[i])`` for an entry of raw YAML data, for error messages."""
    entries = data.get("entries") if isinstance(data, dict) else None
    if isinstance(entries, list) and index < len(entries) and isinstance(entries[index], dict):
        return f"entry {entries[index].get('id', '?')} (entries[{index}])"
    return f"entries[{index}]"
