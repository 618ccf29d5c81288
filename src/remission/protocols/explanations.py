"""Sentences a clinician reads for each criterion and risk rule, built from the trace.

Each :class:`Explanation` is one sentence: the criterion or rule, its outcome, the values it
read with their units, dates and methods, and what they were compared against; it names the
protocol parameters it rests on (with *assumption* where the protocol file marks one) and
its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from remission.rules.explain import Notes, ParameterNote, missing_label, phrase
from remission.rules.truth import Truth
from remission.rules.wording import listed

if TYPE_CHECKING:
    from remission.protocols.edit_checks import EditCheck
    from remission.protocols.model import Criterion, Protocol
    from remission.record.model import Attestation
    from remission.rules.evaluation import Evaluation


@dataclass(frozen=True, slots=True)
class Explanation:
    """One sentence, the assumptions it rests on and where the rule comes from."""

    text: str
    assumptions: tuple[ParameterNote, ...] = ()
    source: str | None = None
    citation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "assumptions": [note.to_dict() for note in self.assumptions],
            "source": self.source,
            "citation": self.citation,
        }

    def lines(self) -> list[str]:
        """The sentence, then one line per assumption and the source (for the CLI and plain text)."""
        notes = [f"  {note.sentence()}" for note in self.assumptions if note.assumption]
        return [self.text, *notes, *([f"  Source: {self.source}"] if self.source else [])]


def parameter_notes(protocol: Protocol) -> dict[str, ParameterNote]:
    return {
        name: ParameterNote(name, p.value, p.description, p.assumption, p.unit, p.source)
        for name, p in protocol.parameters.items()
    }


def _citation(protocol: Protocol, source_id: str | None) -> str | None:
    return next((s.citation for s in protocol.provenance.sources if s.id == source_id), None)


_CRITERION_OUTCOME = {
    ("inclusion", Truth.MET): "met",
    ("inclusion", Truth.NOT_MET): "not met",
    ("inclusion", Truth.UNKNOWN): "cannot be decided yet",
    ("exclusion", Truth.MET): "applies, the child is excluded",
    ("exclusion", Truth.NOT_MET): "does not apply",
    ("exclusion", Truth.UNKNOWN): "cannot be ruled out yet",
}


def _needed(missing: tuple[str, ...] | list[str]) -> str:
    return f" Needed: {listed((missing_label(p) for p in missing), 'and')}." if missing else ""


def _sentence(
    protocol: Protocol, text: str, source: str | None, names: tuple[str, ...] = (), notes: Notes | None = None
) -> Explanation:
    used = tuple(notes[name] for name in names if name in notes) if notes else ()
    return Explanation(text, used, source, _citation(protocol, source))


def explain_criterion(
    protocol: Protocol,
    criterion: Criterion,
    status: Truth,
    evaluation: Evaluation | None,
    attestation: Attestation | None = None,
    *,
    overruled: Attestation | None = None,
) -> Explanation:
    """``Inclusion "…": met — age at diagnosis: 0 completed years (…) < 1 years.``"""
    notes = parameter_notes(protocol)
    source = criterion.source
    outcome = _CRITERION_OUTCOME[criterion.kind.value, status]
    head = f'{criterion.kind.value.capitalize()} "{criterion.text.strip()}": {outcome}'
    said = phrase(evaluation, notes) if evaluation is not None else None
    if attestation is not None:
        by = f"attested {attestation.outcome.value} by {attestation.attested_by}"
        by += f" ({attestation.role})" if attestation.role else ""
        by += f" on {attestation.date.isoformat()}"
        by += f": {attestation.note.strip().rstrip('.')}" if attestation.note else ""
        if said is None:
            return _sentence(protocol, f"{head}, {by}.", source)
        text = f"{head}, {by}, because the record cannot decide it ({said.text})."
        return _sentence(protocol, text, source, said.parameters, notes)
    if said is None:
        person = (
            "a named person must attest it"
            if criterion.decided.value == "attested"
            else "a person must review it"
        )
        return _sentence(protocol, f"{head}: {person}; no attestation is recorded.", source)
    text = f"{head}: {said.text}."
    if status is Truth.UNKNOWN:
        text += _needed(evaluation.all_missing() if evaluation else [])
    if overruled is not None:
        text += f" The attestation by {overruled.attested_by} is disregarded: the record decides."
    return _sentence(protocol, text, source, said.parameters, notes)


def explain_rule(
    protocol: Protocol, outcome_label: str, evaluation: Evaluation, source: str | None
) -> Explanation:
    """``HR applies: KMT2A status: rearranged and MRD after consolidation 1: … → positive.``"""
    notes = parameter_notes(protocol)
    said = phrase(evaluation, notes)
    verb = {Truth.MET: "applies", Truth.NOT_MET: "does not apply", Truth.UNKNOWN: "cannot be decided yet"}
    text = f"{outcome_label} {verb[evaluation.truth]}: {said.text}."
    if evaluation.truth is Truth.UNKNOWN:
        text += _needed(evaluation.all_missing())
    return _sentence(protocol, text, source, said.parameters, notes)


def explain_check(protocol: Protocol, check: EditCheck, evaluation: Evaluation) -> Explanation:
    """``Onset not before diagnosis: not met — onset date: 2026-01-02, before diagnosis (…). <message>``"""
    notes = parameter_notes(protocol)
    said = phrase(evaluation, notes)
    if evaluation.truth is Truth.NOT_MET:
        text = f"{check.label}: not met — {said.text}. {check.message.strip()}"
    elif evaluation.truth is Truth.MET:
        text = f"{check.label}: met — {said.text}."
    else:
        text = f"{check.label}: cannot be checked yet — {said.text}.{_needed(evaluation.all_missing())}"
    return _sentence(protocol, text, check.source, said.parameters, notes)
