"""Result objects of trial matching; each renders as plain JSON-ready data."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from remission.protocols.results import CriterionResult, ScreeningResult, Verdict
from remission.rules.truth import Truth
from remission.trials.biomarkers import BiomarkerMatch
from remission.trials.geo import NearestSite, Point
from remission.trials.model import Trial, recruitment_rank

_VERDICT_RANK = {Verdict.ELIGIBLE: 0, Verdict.NEEDS_REVIEW: 1, Verdict.NOT_ELIGIBLE: 2}


@dataclass(frozen=True, slots=True)
class TrialMatch:
    """One trial screened for one child: verdict with reasons, biomarkers, status and nearest site."""

    trial: Trial
    screening: ScreeningResult
    biomarkers: tuple[BiomarkerMatch, ...] = ()
    nearest: NearestSite | None = None
    warnings: tuple[str, ...] = ()

    @property
    def verdict(self) -> Verdict:
        return self.screening.verdict

    @property
    def failing(self) -> list[CriterionResult]:
        """Criteria that alone make the child not eligible."""
        return [c for c in self.screening.criteria if c.blocks]

    @property
    def unknowns(self) -> list[CriterionResult]:
        """Criteria left unknown: missing record fields, or a person must decide."""
        return [c for c in self.screening.criteria if c.status is Truth.UNKNOWN]

    @property
    def matched_biomarkers(self) -> list[BiomarkerMatch]:
        return [b for b in self.biomarkers if b.status is Truth.MET]

    def deciding(self) -> list[CriterionResult]:
        """The criteria behind the verdict: those that fail, else those still open, else all."""
        return self.failing or self.unknowns or list(self.screening.criteria)

    def explanation(self) -> list[str]:
        """Why the verdict, one sentence per deciding criterion (the JSON has every criterion)."""
        return [c.reason for c in self.deciding()]

    def rank_key(self) -> tuple[int, int, int, float, str]:
        """Eligible, then needs review, then not eligible; within each, recruiting first, then
        fewer unknowns, then the nearer site, then the trial id."""
        distance = self.nearest.distance_km if self.nearest else math.inf
        status = self.trial.status.overall if self.trial.status else None
        return (
            _VERDICT_RANK[self.verdict],
            recruitment_rank(status),
            len(self.unknowns),
            distance,
            self.trial.id,
        )

    def to_dict(self) -> dict[str, Any]:
        trial = self.trial
        status = trial.status
        return {
            "trial": {
                "id": trial.id,
                "acronym": trial.acronym,
                "title": trial.title,
                "version": trial.version,
                "criteria_version": trial.protocol.version,
                "origin": trial.origin,
            },
            "verdict": self.verdict.value,
            "recruitment": (
                {"status": status.overall.value, "as_of": status.as_of.isoformat(), "source": status.source}
                if status
                else None
            ),
            "failing": [_criterion_summary(c) for c in self.failing],
            "unknowns": [_criterion_summary(c) for c in self.unknowns],
            "missing": self.screening.missing,
            "to_attest": self.screening.to_attest,
            "matched_biomarkers": [b.to_dict() for b in self.matched_biomarkers],
            "biomarkers": [b.to_dict() for b in self.biomarkers],
            "nearest_site": _site_dict(self.nearest),
            "sites": len(trial.sites),
            "sites_with_coordinates": sum(1 for site in trial.sites if site.lat is not None),
            "not_eligibility": [{"id": n.id, "text": n.text, "note": n.note} for n in trial.not_eligibility],
            "warnings": list(self.warnings),
            "explanation": [c.explanation.to_dict() for c in self.deciding() if c.explanation],
            "screening": self.screening.to_dict(),
        }


def _criterion_summary(criterion: CriterionResult) -> dict[str, Any]:
    return {
        "id": criterion.id,
        "kind": criterion.kind,
        "decided": criterion.decided,
        "status": criterion.status.value,
        "text": criterion.text,
        "reason": criterion.reason,
        "missing": list(criterion.missing),
    }


def _site_dict(nearest: NearestSite | None) -> dict[str, Any] | None:
    if nearest is None:
        return None
    site = nearest.site
    return {
        "facility": site.facility,
        "city": site.city,
        "country": site.country,
        "status": site.status.value if site.status else None,
        "lat": site.lat,
        "lon": site.lon,
        "distance_km": round(nearest.distance_km, 1),
        "sites_without_coordinates": nearest.without_coordinates,
    }


@dataclass(frozen=True, slots=True)
class MatchReport:
    """Every trial of a registry screened for one child, ranked (see :meth:`TrialMatch.rank_key`)."""

    study_id: str
    matched_on: date
    near: Point | None
    matches: tuple[TrialMatch, ...]
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "study_id": self.study_id,
            "matched_on": self.matched_on.isoformat(),
            "near": {"lat": self.near.lat, "lon": self.near.lon} if self.near else None,
            "warnings": list(self.warnings),
            "trials": [match.to_dict() for match in self.matches],
        }
