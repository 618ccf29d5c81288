"""Loading the knowledge base: YAML, then the models, then the shipped JSON Schema, then cross-checks."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from pydantic import ValidationError

from remission.errors import FieldProblem, InputError, problems_from_validation
from remission.knowledge.base import KnowledgeBase
from remission.knowledge.checks import entry_label, file_problems, knowledge_base_problems
from remission.knowledge.model import KnowledgeFile
from remission.knowledge.vocabulary import BiomarkerKind
from remission.protocols.yaml12 import load_yaml12

_PACKAGE = resources.files("remission.knowledge")
_KINDS = {kind.value for kind in BiomarkerKind}


class KnowledgeError(InputError):
    """A knowledge-base file that cannot be used; each problem names the entry and field."""


@cache
def knowledge_json_schema() -> dict[str, Any]:
    """The JSON Schema that every knowledge-base file must satisfy (shipped in the package)."""
    return json.loads((_PACKAGE / "knowledge.schema.json").read_text("utf-8"))


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


def _schema_problems(data: Any) -> list[FieldProblem]:
    validator = jsonschema.Draft202012Validator(knowledge_json_schema())
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        problems.append(FieldProblem(_readable(path.lstrip(".") or "(file)", data), error.message))
    return problems


def parse_knowledge_file(data: Any, *, source: str) -> KnowledgeFile:
    """Validate decoded YAML as one knowledge-base file; raise :class:`KnowledgeError`."""
    try:
        file = KnowledgeFile.model_validate(data)
    except ValidationError as error:
        # The models word union failures more precisely than the schema validator.
        problems = [
            FieldProblem(_readable(problem.field, data), problem.problem)
            for problem in problems_from_validation(error)
        ]
        raise KnowledgeError(source, problems) from None
    problems = _schema_problems(data)
    if problems:
        raise KnowledgeError(source, problems)
    return file


def load_knowledge_text(text: str, *, source: str) -> KnowledgeFile:
    """Parse YAML 1.2 text as one knowledge-base file (not yet cross-checked with the others)."""
    try:
        data = load_yaml12(text)
    except yaml.YAMLError as error:
        raise KnowledgeError(source, [FieldProblem("(yaml)", str(error).replace("\n", " "))]) from None
    return parse_knowledge_file(data, source=source)


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
    files = []
    for path in paths:
        try:
            text = path.read_text("utf-8")
        except OSError as error:
            raise KnowledgeError(str(path), [FieldProblem("(file)", error.strerror or str(error))]) from None
        files.append(load_knowledge_text(text, source=str(path)))
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
