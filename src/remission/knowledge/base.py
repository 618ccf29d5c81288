"""The loaded knowledge base: every file's entries, agencies, settings, genes and sources."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from remission.knowledge.model import (
    AgencyDefinition,
    Entry,
    GeneInfo,
    KnowledgeFile,
    OpenQuestion,
    SettingDefinition,
    Source,
)
from remission.knowledge.vocabulary import DiseaseSetting


@dataclass(frozen=True)
class KnowledgeBase:
    """All knowledge-base files, checked together; sources are looked up per file."""

    files: tuple[KnowledgeFile, ...]

    @cached_property
    def entries(self) -> tuple[tuple[KnowledgeFile, Entry], ...]:
        """Every entry with the file it comes from, in file then entry order."""
        return tuple((file, entry) for file in self.files for entry in file.entries)

    @cached_property
    def agencies(self) -> dict[str, AgencyDefinition]:
        return {name: agency for file in self.files for name, agency in file.agencies.items()}

    @cached_property
    def settings(self) -> dict[DiseaseSetting, SettingDefinition]:
        return {setting: rule for file in self.files for setting, rule in file.settings.items()}

    @cached_property
    def genes(self) -> dict[str, GeneInfo]:
        return {gene: info for file in self.files for gene, info in file.genes.items()}

    @cached_property
    def versions(self) -> dict[str, str]:
        """File id to file version, for results to say which knowledge they read."""
        return {file.id: file.version for file in self.files}

    def source(self, file: KnowledgeFile, source_id: str) -> Source:
        """A source of ``file`` by id (ids were checked at load time)."""
        return next(source for source in file.provenance.sources if source.id == source_id)

    def open_questions(self) -> list[tuple[str, OpenQuestion]]:
        """Every file's open questions, with the file id."""
        return [(file.id, question) for file in self.files for question in file.provenance.open_questions]
