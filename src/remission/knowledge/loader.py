"""Loading the knowledge base: each file through :mod:`remission.datafiles`, then checks across files."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

from remission.datafiles import DataFileKind
from remission.errors import FieldProblem, InputError
from remission.knowledge.base import KnowledgeBase
from remission.knowledge.checks import entry_label, file_problems, knowledge_base_problems
from remission.knowledge.model import KnowledgeFile
from remission.knowledge.vocabulary import BiomarkerKind

_PACKAGE = resources.files("remission.knowledge")
_KINDS = {kind.value for kind in BiomarkerKind}


class KnowledgeError(InputError):
    """A knowledge-base file that cannot be used; each problem names the entry and field."""


@cache
def knowledge_json_schema() -> dict[str, Any]:
    """The JSON Schema that every knowledge-base file must satisfy (shipped in the package)."""
    return cast(dict[str, Any], json.loads((_PACKAGE / "knowledge.schema.json").read_text("utf-8")))


def _readable(field: str, data: Any) -> str:
    """Name the entry instead of its index, and drop the biomarker union's tag from paths."""
    parts = field.split(".")
    if len(parts) > 2 and parts[0].startswith("entries[") and parts[1] == "biomarker" and parts[2] in _KINDS:
        del parts[2]
    if parts[0].startswith("entries[") and parts[0].endswith("]"):
        index = parts[0][len("entries[") : -1].split("]")[0]
        if index.isdigit():
            rest = ".".join(parts[1:]) or "(entry)"
            return f"{entry_label(data, int(index))}: {rest}"
    return ".".join(parts)


# Files are cross-checked together (ids, genes, agencies) by build_knowledge_base.
KNOWLEDGE_FILE = DataFileKind(
    KnowledgeFile, error=KnowledgeError, schema=knowledge_json_schema, field_name=_readable
)


def parse_knowledge_file(data: Any, *, source: str) -> KnowledgeFile:
    """Validate decoded YAML as one knowledge-base file; raise :class:`KnowledgeError`."""
    return KNOWLEDGE_FILE.parse(data, source=source)


def load_knowledge_text(text: str, *, source: str) -> KnowledgeFile:
    """Parse YAML 1.2 text as one knowledge-base file (not yet cross-checked with the others)."""
    return KNOWLEDGE_FILE.load_text(text, source=source)


def build_knowledge_base(files: list[KnowledgeFile], *, source: str) -> KnowledgeBase:
    """Check files together (ids, genes, agencies, sources, fields) and return the knowledge base."""
    problems = knowledge_base_problems(files)
    genes = {gene for file in files for gene in file.genes}
    agencies = {name for file in files for name in file.agencies}
    for file in files:
        problems.extend(
            FieldProblem(f"{file.id}: {problem.field}", problem.problem)
            for problem in file_problems(file, genes=genes, agencies=agencies)
        )
    if problems:
        raise KnowledgeError(source, problems)
    return KnowledgeBase(tuple(files))


def load_knowledge_directory(directory: Path) -> KnowledgeBase:
    """Load every ``*.yaml`` file of a directory as one knowledge base."""
    paths = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not paths:
        raise KnowledgeError(str(directory), [FieldProblem("(directory)", "no .yaml knowledge files found")])
    files = [KNOWLEDGE_FILE.load_file(path) for path in paths]
    return build_knowledge_base(files, source=str(directory))


@cache
def shipped_knowledge_base() -> KnowledgeBase:
    """The knowledge base shipped in the package (``remission/knowledge/data/*.yaml``)."""
    data = _PACKAGE / "data"
    entries = sorted(
        (entry for entry in data.iterdir() if entry.name.endswith(".yaml")), key=lambda e: e.name
    )
    files = [
        load_knowledge_text(entry.read_text("utf-8"), source=f"knowledge {entry.name}") for entry in entries
    ]
    return build_knowledge_base(files, source="shipped knowledge base")
