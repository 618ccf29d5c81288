"""The therapy knowledge base (curated data) and the matcher that reads it against one child."""

from __future__ import annotations

from remission.knowledge.base import KnowledgeBase
from remission.knowledge.biomarkers import BiomarkerFinding, FieldCall, biomarker_name, match_biomarker
from remission.knowledge.coverage import ApprovalCoverage, Check, approval_coverage
from remission.knowledge.grouping import Group, TherapyRow, therapy_rows
from remission.knowledge.loader import (
    KnowledgeError,
    build_knowledge_base,
    knowledge_json_schema,
    load_knowledge_directory,
    load_knowledge_text,
    parse_knowledge_file,
    shipped_knowledge_base,
)
from remission.knowledge.matching import match_entry, therapy_options
from remission.knowledge.model import Approval, Entry, KnowledgeFile
from remission.knowledge.results import TherapyOption, TherapyReport
from remission.knowledge.schema import generate_knowledge_schema
from remission.knowledge.vocabulary import (
    BiomarkerCall,
    BiomarkerKind,
    Coverage,
    DiseaseSetting,
    EvidenceLevel,
    EvidenceType,
    Modality,
    Population,
)

__all__ = [
    "Approval",
    "ApprovalCoverage",
    "BiomarkerCall",
    "BiomarkerFinding",
    "BiomarkerKind",
    "Check",
    "Coverage",
    "DiseaseSetting",
    "Entry",
    "EvidenceLevel",
    "EvidenceType",
    "FieldCall",
    "Group",
    "KnowledgeBase",
    "KnowledgeError",
    "KnowledgeFile",
    "Modality",
    "Population",
    "TherapyOption",
    "TherapyReport",
    "TherapyRow",
    "approval_coverage",
    "biomarker_name",
    "build_knowledge_base",
    "generate_knowledge_schema",
    "knowledge_json_schema",
    "load_knowledge_directory",
    "load_knowledge_text",
    "match_biomarker",
    "match_entry",
    "parse_knowledge_file",
    "shipped_knowledge_base",
    "therapy_options",
    "therapy_rows",
]
