"""Result objects of the therapy matcher: one option per entry, and the report for one child."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from remission.knowledge.base import KnowledgeBase
from remission.knowledge.biomarkers import BiomarkerFinding
from remission.knowledge.coverage import ApprovalCoverage, Check
from remission.knowledge.model import Entry, KnowledgeFile
from remission.knowledge.vocabulary import BiomarkerCall, Coverage
from remission.rules.truth import Truth


def _citation(kb: KnowledgeBase, file: KnowledgeFile, source_id: str) -> dict[str, Any]:
    source = kb.source(file, source_id)
    out: dict[str, Any] = {"id": source.id, "citation": source.citation}
    if source.url:
        out["url"] = source.url
    return out


@dataclass(frozen=True)
class TherapyOption:
    """One knowledge-base entry read against one child.

    ``regulatory`` is the best coverage over the entry's approvals (trial-only when it
    has none); ``status`` is that coverage only when the biomarker is present and the
    disease matches, and *needs review* while either is unknown.
    """

    file: KnowledgeFile
    entry: Entry
    biomarker: BiomarkerFinding
    disease: Check
    approvals: tuple[ApprovalCoverage, ...]

    @property
    def applies(self) -> Truth:
        """Met when the biomarker is present and the disease matches; unknown while either is open."""
        if self.biomarker.call is BiomarkerCall.ABSENT or self.disease.truth is Truth.NOT_MET:
            return Truth.NOT_MET
        if self.biomarker.call is BiomarkerCall.PRESENT and self.disease.truth is Truth.MET:
            return Truth.MET
        return Truth.UNKNOWN

    @property
    def regulatory(self) -> Coverage:
        if not self.approvals:
            return Coverage.TRIAL_ONLY
        return min((a.coverage for a in self.approvals), key=lambda coverage: coverage.rank)

    @property
    def status(self) -> Coverage:
        return self.regulatory if self.applies is Truth.MET else Coverage.NEEDS_REVIEW

    @property
    def status_label(self) -> str:
        """e.g. ``approved (FDA)``; names the agencies whose approvals give the status."""
        if self.status is not self.regulatory:
            return f"{self.status.value} (if confirmed: {self.regulatory.value})"
        agencies = sorted({a.approval.agency for a in self.approvals if a.coverage is self.regulatory})
        return f"{self.status.value} ({', '.join(agencies)})" if agencies else self.status.value

    @property
    def why(self) -> str:
        """Why the option is listed: the finding that matched (or is open) and the disease."""
        return f"{self.biomarker.reason}; {self.disease.reason}"

    @property
    def missing(self) -> list[str]:
        """Record fields whose absence keeps this option under review."""
        paths = list(self.biomarker.missing) + list(self.disease.missing)
        if self.regulatory is Coverage.NEEDS_REVIEW:
            paths += [path for approval in self.approvals for path in approval.missing]
        return list(dict.fromkeys(paths))

    def sort_key(self) -> tuple[int, int, int, str, str]:
        therapy = self.entry.therapy.name if self.entry.therapy else ""
        certain = 0 if self.applies is Truth.MET else 1
        return (self.entry.evidence.level.rank, certain, self.status.rank, therapy, self.entry.id)

    def to_dict(self, kb: KnowledgeBase) -> dict[str, Any]:
        entry, evidence = self.entry, self.entry.evidence
        out: dict[str, Any] = {
            "entry": entry.id,
            "knowledge_file": f"{self.file.id} v{self.file.version}",
            "therapy": entry.therapy.model_dump(mode="json", exclude_none=True) if entry.therapy else None,
            "evidence": {
                "type": evidence.type.value,
                "level": evidence.level.value,
                "assigned_by": evidence.assigned_by.value,
                "rationale": evidence.rationale,
                "sources": [_citation(kb, self.file, s) for s in evidence.sources],
            },
            "status": self.status.value,
            "status_label": self.status_label,
            "regulatory": self.regulatory.value,
            "applies": self.applies.value,
            "why": self.why,
            "biomarker": self.biomarker.to_dict(),
            "disease": self.disease.to_dict(),
            "approvals": [approval.to_dict() for approval in self.approvals],
            "key_trials": [trial.model_dump(mode="json", exclude_none=True) for trial in entry.key_trials],
            "assumptions": list(entry.assumptions)
            + list(dict.fromkeys(a for approval in self.approvals for a in approval.assumptions)),
            "sources": [_citation(kb, self.file, s) for s in entry.sources],
        }
        missing = self.missing
        if missing:
            out["missing"] = missing
        return out


@dataclass(frozen=True)
class TherapyReport:
    """Every applicable or open option for one child, ranked, with what was read."""

    study_id: str
    as_of: date
    ages: dict[str, int] | None
    options: tuple[TherapyOption, ...]
    resistance: tuple[TherapyOption, ...]
    other_findings: tuple[TherapyOption, ...]
    not_applicable: tuple[TherapyOption, ...]
    kb: KnowledgeBase

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ranked options, resistance and other findings, and what did not apply."""
        return {
            "study_id": self.study_id,
            "as_of": self.as_of.isoformat(),
            "age": self.ages,
            "knowledge_base": self.kb.versions,
            "options": [
                {"rank": rank, **option.to_dict(self.kb)} for rank, option in enumerate(self.options, start=1)
            ],
            "resistance": [option.to_dict(self.kb) for option in self.resistance],
            "other_findings": [option.to_dict(self.kb) for option in self.other_findings],
            "not_applicable": [
                {"entry": option.entry.id, "reason": _not_applicable_reason(option)}
                for option in self.not_applicable
            ],
            "open_questions": [
                {"file": file_id, "id": question.id, "text": question.text}
                for file_id, question in self.kb.open_questions()
            ],
        }


def _not_applicable_reason(option: TherapyOption) -> str:
    if option.biomarker.call is BiomarkerCall.ABSENT:
        return option.biomarker.reason
    return option.disease.reason
