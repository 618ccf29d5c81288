"""Result objects of the decision engines; each renders as plain JSON-ready data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from remission.protocols.explanations import Explanation
from remission.rules.evaluation import Evaluation
from remission.rules.truth import Truth


class Verdict(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not eligible"
    NEEDS_REVIEW = "needs review"


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One criterion's outcome. For an exclusion, ``met`` means the exclusion applies."""

    id: str
    kind: str
    decided: str
    status: Truth
    text: str
    reason: str
    inputs: dict[str, Any] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    evaluation: Evaluation | None = None
    attested_by: str | None = None
    explanation: Explanation | None = None

    @property
    def blocks(self) -> bool:
        """True when this outcome alone makes the child not eligible."""
        return self.status is (Truth.NOT_MET if self.kind == "inclusion" else Truth.MET)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "decided": self.decided,
            "status": self.status.value,
            "text": self.text,
            "reason": self.reason,
            "inputs": self.inputs,
            "missing": list(self.missing),
        }
        if self.attested_by is not None:
            out["attested_by"] = self.attested_by
        if self.explanation is not None:
            out["explanation"] = self.explanation.to_dict()
        if self.evaluation is not None:
            out["trace"] = self.evaluation.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    study_id: str
    protocol_id: str
    protocol_version: str
    screened_on: date
    verdict: Verdict
    criteria: tuple[CriterionResult, ...]

    @property
    def failing(self) -> list[str]:
        return [c.id for c in self.criteria if c.blocks]

    @property
    def unresolved(self) -> list[str]:
        return [c.id for c in self.criteria if c.status is Truth.UNKNOWN]

    @property
    def missing(self) -> list[str]:
        return list(dict.fromkeys(path for c in self.criteria for path in c.missing))

    @property
    def to_attest(self) -> list[str]:
        return [c.id for c in self.criteria if c.status is Truth.UNKNOWN and not c.missing]

    def to_dict(self) -> dict[str, Any]:
        return {
            "study_id": self.study_id,
            "protocol": {"id": self.protocol_id, "version": self.protocol_version},
            "screened_on": self.screened_on.isoformat(),
            "verdict": self.verdict.value,
            "failing": self.failing,
            "unresolved": self.unresolved,
            "missing": self.missing,
            "to_attest": self.to_attest,
            "criteria": [c.to_dict() for c in self.criteria],
        }


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """One risk rule as evaluated at one time point."""

    time_point: str
    outcome: str
    evaluation: Evaluation
    explanation: Explanation | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "rule": f"{self.time_point}:{self.outcome}",
            "time_point": self.time_point,
            "outcome_if_met": self.outcome,
            "status": self.evaluation.truth.value,
            "inputs": self.evaluation.all_inputs(),
            "trace": self.evaluation.to_dict(),
        }
        if self.explanation is not None:
            out["explanation"] = self.explanation.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class TimePointResult:
    id: str
    label: str
    assigns: str
    outcome: str  # a group or track id, "pending" or "unclassified"
    missing: tuple[str, ...]
    rules: tuple[RuleTrace, ...]
    summary: str = ""
    data_date: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "assigns": self.assigns,
            "outcome": self.outcome,
            "missing": list(self.missing),
            "summary": self.summary,
            "data_date": self.data_date.isoformat() if self.data_date else None,
        }


@dataclass(frozen=True, slots=True)
class StratificationResult:
    study_id: str
    protocol_id: str
    protocol_version: str
    risk_group: str  # a group id, "pending" or "unclassified"
    arm: str | None
    provisional_track: str | None
    track_change: dict[str, Any] | None
    time_points: tuple[TimePointResult, ...]

    @property
    def missing(self) -> list[str]:
        return list(dict.fromkeys(p for tp in self.time_points for p in tp.missing))

    @property
    def data_date(self) -> date | None:
        """The date of the latest data the assignment rests on (e.g. the MRD sample), not today."""
        dates = [tp.data_date for tp in self.time_points if tp.data_date is not None]
        return max(dates) if dates else None

    def explanation(self) -> list[Explanation]:
        """Every rule's sentence, time point by time point."""
        return [rule.explanation for tp in self.time_points for rule in tp.rules if rule.explanation]

    def to_dict(self) -> dict[str, Any]:
        return {
            "study_id": self.study_id,
            "protocol": {"id": self.protocol_id, "version": self.protocol_version},
            "data_date": self.data_date.isoformat() if self.data_date else None,
            "summary": [tp.summary for tp in self.time_points],
            "explanation": [e.to_dict() for e in self.explanation()],
            "risk_group": self.risk_group,
            "arm": self.arm,
            "provisional_track": self.provisional_track,
            "track_change": self.track_change,
            "missing": self.missing,
            "time_points": [tp.to_dict() for tp in self.time_points],
            "trace": [rule.to_dict() for tp in self.time_points for rule in tp.rules],
        }
