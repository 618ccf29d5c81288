"""Whether a child's record shows an entry's biomarker: present, absent, unknown or conflicting.

Each record field that can show the biomarker gives its own call, with the path read
and the value found. The calls combine without guessing: any *present* and any *absent*
call together are *conflicting* (a person must review), else any *present* call makes
the biomarker present, else any *absent* call makes it absent (a test that was done and
found nothing), else it is unknown. A list recorded as ``[]`` means tested and none
found; an unrecorded field is unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from remission.knowledge.model import (
    Biomarker,
    CopyNumberBiomarker,
    FusionBiomarker,
    MutationBiomarker,
    PhLikeBiomarker,
    RearrangementBiomarker,
    SurfaceAntigenBiomarker,
)
from remission.knowledge.vocabulary import BiomarkerCall
from remission.record.labels import field_label
from remission.record.model import PatientRecord
from remission.record.vocabulary import MarkerResult
from remission.rules.evaluation import EvaluationContext, evaluate
from remission.rules.paths import plain
from remission.rules.truth import Truth


@dataclass(frozen=True, slots=True)
class FieldCall:
    """What one record field says about the biomarker."""

    path: str
    value: Any
    call: BiomarkerCall
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "value": self.value, "call": self.call.value, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class BiomarkerFinding:
    """The combined call of an entry's biomarker for one record, and each field's call."""

    name: str
    call: BiomarkerCall
    fields: tuple[FieldCall, ...]

    @property
    def reason(self) -> str:
        """One sentence: the fields that decided the call."""
        if self.call is BiomarkerCall.CONFLICTING:
            parts = [
                f"{field_label(f.path)}: {f.reason}"
                for f in self.fields
                if f.call is not BiomarkerCall.UNKNOWN
            ]
            return f"{self.name}: record fields disagree ({'; '.join(parts)})"
        deciding = [f for f in self.fields if f.call is self.call] or list(self.fields)
        return "; ".join(f"{field_label(f.path)}: {f.reason}" for f in deciding)

    @property
    def missing(self) -> list[str]:
        """Paths that would settle an unknown call; empty when the call is decided."""
        if self.call is not BiomarkerCall.UNKNOWN:
            return []
        # A field recorded with an undecidable value (e.g. partial expression) needs a person,
        # not more data; only unrecorded fields are missing.
        return [f.path for f in self.fields if f.call is BiomarkerCall.UNKNOWN and f.value is None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "call": self.call.value,
            "reason": self.reason,
            "fields": [field.to_dict() for field in self.fields],
        }


def biomarker_name(biomarker: Biomarker) -> str:
    """How the biomarker is named in results, e.g. ``BCR::ABL1`` or ``FLT3 mutation``."""
    match biomarker:
        case FusionBiomarker():
            return biomarker.fusion
        case RearrangementBiomarker():
            return biomarker.label
        case MutationBiomarker():
            suffix = f" ({biomarker.variant_class})" if biomarker.variant_class else ""
            return f"{biomarker.gene} mutation{suffix}"
        case CopyNumberBiomarker():
            return f"{biomarker.gene} {biomarker.change.value}"
        case PhLikeBiomarker():
            return f"Ph-like {biomarker.ph_like_class.value}"
        case SurfaceAntigenBiomarker():
            return f"{biomarker.antigen} expression"
    raise TypeError(f"not a biomarker: {biomarker!r}")  # pragma: no cover


def _listed(path: str, items: list[Any] | None, hits: list[Any], what: str) -> FieldCall:
    """The call of a list field: unrecorded → unknown, a hit → present, no hit → absent."""
    if items is None:
        return FieldCall(path, None, BiomarkerCall.UNKNOWN, "not recorded")
    value = plain(items)
    if hits:
        return FieldCall(path, value, BiomarkerCall.PRESENT, f"{', '.join(map(str, hits))} recorded")
    found = "[] (tested, none found)" if not items else f"only {', '.join(map(str, plain(items)))}"
    return FieldCall(path, value, BiomarkerCall.ABSENT, f"no {what}: {found}")


def _fusions(record: PatientRecord) -> list[str] | None:
    return record.genetics.fusions if record.genetics else None


def _kmt2a_fusion(record: PatientRecord) -> str | None:
    """``KMT2A::AFF1`` when the KMT2A result names its partner (a fusion found, whatever the list says)."""
    kmt2a = record.genetics.kmt2a if record.genetics else None
    return f"KMT2A::{kmt2a.partner}" if kmt2a and kmt2a.partner else None


def _fusion_call(record: PatientRecord, matches: Callable[[str], bool], what: str) -> FieldCall:
    """A fusion from the fusion list, or from the KMT2A result's partner; unknown while neither has it."""
    fusions = _fusions(record)
    hits = [f for f in fusions or [] if matches(f)]
    partner_fusion = _kmt2a_fusion(record)
    if not hits and partner_fusion and matches(partner_fusion):
        found = f"{partner_fusion} recorded as the KMT2A partner"
        return FieldCall("genetics.kmt2a.partner", partner_fusion, BiomarkerCall.PRESENT, found)
    return _listed("genetics.fusions", fusions, hits, what)


def _own_call(biomarker: Biomarker, record: PatientRecord) -> FieldCall | None:
    genetics = record.genetics
    match biomarker:
        case FusionBiomarker():
            fusion = biomarker.fusion
            return _fusion_call(record, lambda found: found == fusion, fusion)
        case RearrangementBiomarker():
            wanted = set(biomarker.genes)
            what = f"fusion of {'/'.join(biomarker.genes)}"
            return _fusion_call(record, lambda found: bool(wanted & set(found.split("::"))), what)
        case MutationBiomarker():
            return _mutation_call(biomarker, genetics.mutations if genetics else None)
        case CopyNumberBiomarker():
            changes = genetics.copy_number_changes if genetics else None
            hits = [
                f"{c.gene} {c.change.value}"
                for c in changes or []
                if c.gene == biomarker.gene and c.change is biomarker.change
            ]
            return _listed("genetics.copy_number_changes", changes, hits, biomarker_name(biomarker))
        case PhLikeBiomarker():
            value = genetics.ph_like_class if genetics else None
            path = "genetics.ph_like_class"
            if value is None:
                return FieldCall(path, None, BiomarkerCall.UNKNOWN, "not recorded")
            call = BiomarkerCall.PRESENT if value is biomarker.ph_like_class else BiomarkerCall.ABSENT
            return FieldCall(path, value.value, call, f"recorded as {value.value}")
        case SurfaceAntigenBiomarker():
            return _antigen_call(biomarker, record)
    return None  # pragma: no cover


def _mutation_call(biomarker: MutationBiomarker, mutations: list[Any] | None) -> FieldCall:
    path = "genetics.mutations"
    of_gene = [m for m in mutations or [] if m.gene == biomarker.gene]
    if mutations is None or not of_gene:
        return _listed(path, mutations, [], f"{biomarker.gene} mutation")
    shown = [f"{m.gene} {m.variant or '(variant not recorded)'}" for m in of_gene]
    value = plain(mutations)
    if biomarker.variant_class:
        reason = f"{', '.join(shown)} recorded; whether it is {biomarker.variant_class} needs review"
        return FieldCall(path, value, BiomarkerCall.UNKNOWN, reason)
    if biomarker.variants is None:
        return FieldCall(path, value, BiomarkerCall.PRESENT, f"{', '.join(shown)} recorded")
    if any(m.variant in biomarker.variants for m in of_gene):
        return FieldCall(path, value, BiomarkerCall.PRESENT, f"{', '.join(shown)} recorded")
    if any(m.variant is None for m in of_gene):
        return FieldCall(path, value, BiomarkerCall.UNKNOWN, f"{', '.join(shown)}: variant needed")
    wanted = ", ".join(biomarker.variants)
    return FieldCall(path, value, BiomarkerCall.ABSENT, f"{', '.join(shown)} is none of {wanted}")


def _antigen_call(biomarker: SurfaceAntigenBiomarker, record: PatientRecord) -> FieldCall:
    phenotype = record.diagnosis.immunophenotype if record.diagnosis else None
    path = f"diagnosis.immunophenotype.{biomarker.antigen}"
    if phenotype is None:
        return FieldCall(path, None, BiomarkerCall.UNKNOWN, "immunophenotype not recorded")
    result = phenotype.get(biomarker.antigen)
    if result is None:
        return FieldCall(path, None, BiomarkerCall.UNKNOWN, f"{biomarker.antigen} not in the immunophenotype")
    if result is MarkerResult.POSITIVE:
        return FieldCall(path, result.value, BiomarkerCall.PRESENT, f"{biomarker.antigen} positive")
    if result is MarkerResult.NEGATIVE:
        return FieldCall(path, result.value, BiomarkerCall.ABSENT, f"{biomarker.antigen} negative")
    # Whether partial expression meets a label's "positive" is a clinical judgement.
    return FieldCall(
        path, result.value, BiomarkerCall.UNKNOWN, f"{biomarker.antigen} partial: needs review as positive"
    )


_TRUTH_TO_CALL = {
    Truth.MET: BiomarkerCall.PRESENT,
    Truth.NOT_MET: BiomarkerCall.ABSENT,
    Truth.UNKNOWN: BiomarkerCall.UNKNOWN,
}


def _combine(calls: list[FieldCall]) -> BiomarkerCall:
    kinds = {call.call for call in calls}
    if BiomarkerCall.PRESENT in kinds and BiomarkerCall.ABSENT in kinds:
        return BiomarkerCall.CONFLICTING
    for decided in (BiomarkerCall.PRESENT, BiomarkerCall.ABSENT):
        if decided in kinds:
            return decided
    return BiomarkerCall.UNKNOWN


def match_biomarker(biomarker: Biomarker, ctx: EvaluationContext) -> BiomarkerFinding:
    """The biomarker's call for ``ctx.record``, with every field read and its own call."""
    calls: list[FieldCall] = []
    own = _own_call(biomarker, ctx.record)
    if own is not None:
        calls.append(own)
    for finding in biomarker.also_shown_by:
        evaluation = evaluate(finding.present_when, ctx)
        inputs = evaluation.all_inputs()
        path = ", ".join(inputs) or finding.label
        value: Any = next(iter(inputs.values())) if len(inputs) == 1 else inputs
        call = _TRUTH_TO_CALL[evaluation.truth]
        reason = f"{finding.label}: {evaluation.truth.value}"
        calls.append(FieldCall(path, value, call, reason))
    return BiomarkerFinding(biomarker_name(biomarker), _combine(calls), tuple(calls))
