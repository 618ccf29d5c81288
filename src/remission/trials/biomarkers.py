"""Which of a trial's biomarkers a child's record shows, and which finding matched.

This explains a match; it never decides eligibility (the criteria do). Each biomarker is
``matched`` (with the finding, e.g. ``KMT2A::AFF1``), ``not matched`` (the record shows the test
was done and the finding is absent), or ``unknown`` (the record does not say).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from remission.record.model import PatientRecord
from remission.record.vocabulary import KMT2AStatus, MarkerResult, PhStatus
from remission.rules.truth import Truth
from remission.trials.genes import fusion_genes
from remission.trials.model import Biomarker


@dataclass(frozen=True, slots=True)
class BiomarkerMatch:
    """One biomarker read against one record: outcome, the finding, and the fields read."""

    id: str
    label: str
    role: str
    status: Truth
    finding: str | None = None
    read: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "biomarker": self.label,
            "role": self.role,
            "status": self.status.value,
            "finding": self.finding,
            "read": list(self.read),
        }


def _fusions(record: PatientRecord) -> list[str] | None:
    return None if record.genetics is None else record.genetics.fusions


def _kmt2a(record: PatientRecord) -> tuple[KMT2AStatus | None, str | None]:
    kmt2a = record.genetics.kmt2a if record.genetics else None
    return (kmt2a.status, kmt2a.partner) if kmt2a else (None, None)


def _rearrangement(record: PatientRecord, gene: str) -> tuple[Truth, str | None, tuple[str, ...]]:
    fusions = _fusions(record)
    hits = [f for f in fusions or [] if gene in fusion_genes(f)]
    read: tuple[str, ...] = ("genetics.fusions",)
    if gene == "KMT2A":
        status, partner = _kmt2a(record)
        read = ("genetics.kmt2a.status", "genetics.kmt2a.partner", "genetics.fusions")
        if status is KMT2AStatus.REARRANGED:
            if partner:
                return Truth.MET, f"KMT2A::{partner}", read
            return Truth.MET, ", ".join(hits) or "KMT2A rearranged, partner not recorded", read
        if status is KMT2AStatus.GERMLINE and not hits:
            return Truth.NOT_MET, "KMT2A germline", read
    if hits:
        return Truth.MET, ", ".join(hits), read
    return (Truth.UNKNOWN if fusions is None else Truth.NOT_MET), None, read


def _fusion(record: PatientRecord, fusion: str) -> tuple[Truth, str | None, tuple[str, ...]]:
    fusions = _fusions(record)
    if fusion in (fusions or []):
        return Truth.MET, fusion, ("genetics.fusions",)
    five, three = fusion_genes(fusion)
    if five == "KMT2A":
        status, partner = _kmt2a(record)
        read = ("genetics.kmt2a.status", "genetics.kmt2a.partner", "genetics.fusions")
        if status is KMT2AStatus.REARRANGED and partner == three:
            return Truth.MET, f"KMT2A rearranged with partner {partner}", read
        if status is KMT2AStatus.GERMLINE or (status is KMT2AStatus.REARRANGED and partner is not None):
            return Truth.NOT_MET, None, read
        return Truth.UNKNOWN, None, read
    if fusion == "BCR::ABL1" and record.genetics is not None and record.genetics.ph_status is not None:
        positive = record.genetics.ph_status is PhStatus.POSITIVE
        finding = "Philadelphia chromosome positive" if positive else None
        return Truth.of(positive), finding, ("genetics.ph_status", "genetics.fusions")
    return (Truth.UNKNOWN if fusions is None else Truth.NOT_MET), None, ("genetics.fusions",)


def _mutation(
    record: PatientRecord, gene: str, variant: str | None
) -> tuple[Truth, str | None, tuple[str, ...]]:
    mutations = None if record.genetics is None else record.genetics.mutations
    read = ("genetics.mutations",)
    if mutations is None:
        return Truth.UNKNOWN, None, read
    hits = [m for m in mutations if m.gene == gene and (variant is None or m.variant == variant)]
    if not hits:
        return Truth.NOT_MET, None, read
    return Truth.MET, ", ".join(f"{m.gene} {m.variant}" if m.variant else m.gene for m in hits), read


def _antigen(record: PatientRecord, marker: str) -> tuple[Truth, str | None, tuple[str, ...]]:
    phenotype = record.diagnosis.immunophenotype if record.diagnosis else None
    read = (f"diagnosis.immunophenotype.{marker}",)
    result = (phenotype or {}).get(marker)
    if result is None:
        return Truth.UNKNOWN, None, read
    if result is MarkerResult.NEGATIVE:
        return Truth.NOT_MET, f"{marker} negative", read
    return Truth.MET, f"{marker} {result.value}", read


def match_biomarker(record: PatientRecord, biomarker: Biomarker) -> BiomarkerMatch:
    """Read one biomarker against ``record``."""
    if biomarker.kind == "rearrangement" and biomarker.gene:
        status, finding, read = _rearrangement(record, biomarker.gene)
    elif biomarker.kind == "fusion" and biomarker.fusion:
        status, finding, read = _fusion(record, biomarker.fusion)
    elif biomarker.kind == "mutation" and biomarker.gene:
        status, finding, read = _mutation(record, biomarker.gene, biomarker.variant)
    elif biomarker.marker:
        status, finding, read = _antigen(record, biomarker.marker)
    else:  # pragma: no cover - the model requires the field of each kind
        raise ValueError(f"biomarker {biomarker.id} lacks the field of its kind")
    return BiomarkerMatch(biomarker.id, biomarker.label, biomarker.role, status, finding, read)
