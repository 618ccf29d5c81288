"""An evaluation in clinical words: what was read, what it was compared with, and the outcome.

:func:`phrase` turns the evaluation of an expression into one phrase, e.g.
``KMT2A status: rearranged and MRD after consolidation 1: 5 × 10⁻⁴ (0.05 %) by IG/TR
RQ-PCR, sampled 2026-10-19, ≥ cutoff 10⁻⁴ (assumption) → positive``. Only the parts that
decide the outcome are worded: for a met *all of*, every part; for a failed one, the parts
that failed. A value taken from a protocol parameter is marked *(assumption)* when the
protocol says no source settles it, and the phrase lists the parameters it compared against
so that the sentence built from it can name each assumption.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from remission.record.labels import field_label, field_unit
from remission.rules.evaluation import REFERENCE_DATES, REFERENCE_WORDS, Claim, Evaluation
from remission.rules.mrd import MRDCall, MRDFinding, MRDRules
from remission.rules.truth import Truth
from remission.rules.wording import listed, percent, power_of_ten, word


@dataclass(frozen=True, slots=True)
class ParameterNote:
    """What an explanation says about one protocol parameter it compared against."""

    name: str
    value: Any
    description: str
    assumption: bool
    unit: str | None = None
    source: str | None = None

    @property
    def shown(self) -> str:
        """The value in words: a fraction as a power of ten, ``yes``/``no``, lists joined."""
        return power_of_ten(self.value) if isinstance(self.value, float) else word(self.value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameter": self.name,
            "value": self.value,
            "shown": self.shown,
            "unit": self.unit,
            "description": self.description,
            "assumption": self.assumption,
            "source": self.source,
        }

    def sentence(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        kind = "Assumption" if self.assumption else "Parameter"
        return f"{kind} {self.name} = {self.shown}{unit}: {self.description}"


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words for (part of) an evaluation, and the protocol parameters they compared against."""

    text: str
    parameters: tuple[str, ...] = ()


Notes = Mapping[str, ParameterNote]
#: Adds *(assumption)* to a text when the parameter it came from is one (``reference=True``:
#: the reference date's parameter rather than the compared value's).
Marker = Callable[..., str]

_SYMBOL = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥"}
_NEGATED = {"lt": "≥", "le": ">", "gt": "≤", "ge": "<"}


def missing_label(path: str) -> str:
    """A missing input in words; ``mrd[after consolidation 1]`` is the MRD result at that point."""
    if path.startswith("mrd[") and path.endswith("]"):
        return f"a decisive MRD result {path[4:-1]}"
    if path.startswith("screening date"):
        return "study entry date"
    if path in REFERENCE_WORDS and path not in REFERENCE_DATES:  # a date an edit check derives
        return REFERENCE_WORDS[path]
    return field_label(path)


def phrase(evaluation: Evaluation, notes: Notes) -> Phrase:
    """The deciding parts of ``evaluation`` in words, with the parameters they compared against."""
    claim = evaluation.claim
    if claim.kind in ("all", "any", "not"):
        return _logic(evaluation, notes)
    if claim.kind == "any_item":
        return _any_item(evaluation, notes)
    if claim.kind == "mrd":
        return _mrd(evaluation, notes)
    names = claim.parameters + tuple(claim.detail.get("reference_parameters", ()))

    def mark(text: str, *, reference: bool = False) -> str:
        """``text`` followed by *(assumption)* when the parameter it came from is one."""
        sources = claim.detail.get("reference_parameters", ()) if reference else claim.parameters
        return f"{text} (assumption)" if any(n in notes and notes[n].assumption for n in sources) else text

    return Phrase(_leaf(evaluation, claim, mark), names)


def _join(phrases: list[Phrase], conjunction: str) -> Phrase:
    texts = dict.fromkeys(p.text for p in phrases)  # identical branches are said once
    text = ("; " if conjunction == ";" else f" {conjunction} ").join(texts)
    parameters = tuple(dict.fromkeys(name for p in phrases for name in p.parameters))
    return Phrase(text, parameters)


def _logic(evaluation: Evaluation, notes: Notes) -> Phrase:
    kind, truth, parts = evaluation.claim.kind, evaluation.truth, evaluation.children
    if kind == "not":
        inner = phrase(parts[0], notes)
        return Phrase(
            f"not ({inner.text})" if parts[0].claim.kind in ("all", "any") else inner.text, inner.parameters
        )
    if kind == "all":
        if truth is Truth.MET:
            chosen = list(parts)
        elif truth is Truth.NOT_MET:
            chosen = [p for p in parts if p.truth is Truth.NOT_MET]
        else:
            chosen = [p for p in parts if p.truth is not Truth.NOT_MET]
        return _join(_nested(chosen, notes), "and")
    if truth is Truth.NOT_MET:
        return _join(_nested(list(parts), notes), ";")
    return _join(_nested([p for p in parts if p.truth is truth], notes), "or")


def _nested(parts: list[Evaluation], notes: Notes) -> list[Phrase]:
    """Each part's phrase; a compound part is bracketed when it stands beside others."""
    phrases = []
    for part in parts:
        inner = phrase(part, notes)
        compound = part.claim.kind in ("all", "any") and len(part.children) > 1 and len(parts) > 1
        phrases.append(Phrase(f"({inner.text})", inner.parameters) if compound else inner)
    return phrases


def _any_item(evaluation: Evaluation, notes: Notes) -> Phrase:
    path = evaluation.claim.subject
    label = field_label(path)
    if evaluation.missing:
        return Phrase(f"{label}: not recorded")
    if not evaluation.children:
        return Phrase(f"{label}: none recorded")
    # Each item's fields are labelled with the item (``steroid course … 1: start``).
    shown = [
        phrase(child, notes)
        for child in evaluation.children
        if evaluation.truth is Truth.NOT_MET or child.truth is evaluation.truth
    ]
    return _join(shown, ";")


def _value(path: str, value: Any) -> str:
    if value is None:
        return "not recorded"
    unit = field_unit(path)
    text = power_of_ten(value) if isinstance(value, float) and path.endswith("_fraction") else word(value)
    return f"{text} {unit}" if unit else text


def _reference(name: Any, on: date | None) -> str:
    words = REFERENCE_WORDS.get(str(name), str(name))
    return f"{words} ({on.isoformat()})" if on else f"{words} (date not recorded)"


def _leaf(evaluation: Evaluation, claim: Claim, mark: Marker) -> str:
    truth, path = evaluation.truth, claim.subject
    label = field_label(path)
    value = evaluation.inputs.get(path)
    match claim.kind:
        case "age":
            return _age(evaluation, claim, mark)
        case "overlaps":
            return _overlaps(evaluation, claim, mark)
        case "on_or_before" | "on_or_after":
            return _date_order(evaluation, claim, mark)
        case "present" | "absent":
            return f"{label}: {'recorded' if value is not None else 'not recorded'}"
    if truth is Truth.UNKNOWN:
        return f"{label}: not recorded"
    shown = _value(path, value)
    match claim.kind:
        case "equals":
            if truth is Truth.MET or isinstance(claim.target, bool):
                return f"{label}: {shown}"
            return f"{label}: {shown}, not {mark(word(claim.target))}"
        case "in":
            return (
                f"{label}: {shown}"
                if truth is Truth.MET
                else f"{label}: {shown}, not {mark(listed(claim.target))}"
            )
        case "contains_any":
            if truth is Truth.MET:
                return f"{label}: {listed(item for item in value or () if item in claim.target)}"
            return f"{label}: {shown}" + ("" if not value else ", none of them listed")
    symbol = (_SYMBOL if truth is Truth.MET else _NEGATED)[claim.kind]
    return f"{label}: {shown} {symbol} {mark(_value(path, claim.target))}"


def _age(evaluation: Evaluation, claim: Claim, mark: Marker) -> str:
    detail = claim.detail
    on, unit = detail["on"], detail["unit"]
    reference = mark(REFERENCE_WORDS.get(str(on), str(on)), reference=True)
    if detail["age"] is None:
        needed = listed((missing_label(p) for p in evaluation.missing), "and")
        return f"age at {reference}: unknown, {needed} not recorded"
    symbol = (_SYMBOL if evaluation.truth is Truth.MET else _NEGATED)[detail["order"]]
    completed = "completed " if unit in ("years", "months") else ""
    limit = f"{claim.target:g} {unit.removesuffix('s') if claim.target == 1 else unit}"
    # The date of birth is an identifier (minimum necessary): the sentence gives the age only.
    return (
        f"age at {reference}: {detail['age']} {completed}{unit} "
        f"({reference} {word(detail['reference_date'])}) {symbol} {mark(limit)}"
    )


def _overlaps(evaluation: Evaluation, claim: Claim, mark: Marker) -> str:
    detail = claim.detail
    until = mark(_reference(detail["reference"], detail["reference_date"]), reference=True)
    window = f"the {mark(f'{claim.target} days')} up to {until}" if claim.target else until
    item = field_label(claim.subject.rsplit(".", 1)[0])
    if detail["start"] is None:
        return f"{item}: start not recorded, so overlap with {window} is unknown"
    if detail["reference_date"] is None:
        return f"{item}: overlap with {window} is unknown"
    period = f"{word(detail['start'])} to {word(detail['end']) if detail['end'] else 'ongoing'}"
    if claim.target:
        verb = "overlaps" if evaluation.truth is Truth.MET else "does not overlap"
    else:
        verb = "ongoing on" if evaluation.truth is Truth.MET else "not ongoing on"
    return f"{item}: {period} {verb} {window}"


def _date_order(evaluation: Evaluation, claim: Claim, mark: Marker) -> str:
    detail = claim.detail
    label = field_label(claim.subject)
    reference = mark(_reference(claim.target, detail["reference_date"]), reference=True)
    if detail["value"] is None:
        return f"{label}: not recorded"
    if detail["reference_date"] is None:
        return f"{label}: {word(detail['value'])}; {reference}"
    verbs = ("on or before", "after") if claim.kind == "on_or_before" else ("on or after", "before")
    verb = verbs[0] if evaluation.truth is Truth.MET else verbs[1]
    return f"{label}: {word(detail['value'])}, {verb} {reference}"


def _mrd(evaluation: Evaluation, notes: Notes) -> Phrase:
    claim = evaluation.claim
    finding: MRDFinding = claim.detail["finding"]
    rules: MRDRules = claim.detail["rules"]
    heading = f"MRD {claim.subject}"
    if not finding.calls:
        return Phrase(f"{heading}: no result recorded")
    used: list[str] = []

    def mark(attribute: str, text: str) -> str:
        name = rules.parameters.get(attribute)
        note = notes.get(name) if name else None
        return f"{text} (assumption)" if note is not None and note.assumption else text

    cutoff = mark("threshold_fraction", f"cutoff {power_of_ten(rules.threshold_fraction)}")
    parts = []
    for result, call, _ in finding.calls:
        taken = f"by {result.method.value}, sampled {result.sample_date.isoformat()}"
        if result.positive_not_quantifiable:
            used.append("pnq")
            counted = mark("pnq", f"counted {rules.pnq.value}")
            parts.append(f"positive, not quantifiable {taken} ({counted}) → {call.value}")
            continue
        value = result.value_fraction or 0.0
        used.append("threshold_fraction")
        level = "not detected" if value == 0 else f"{power_of_ten(value)} ({percent(value)})"
        if call is MRDCall.POSITIVE:
            at = value == rules.threshold_fraction
            if at:
                used.append("positive_at_threshold")
            if at:
                counted = mark("positive_at_threshold", "counted positive at the cutoff")
                parts.append(f"{level} {taken}, at {cutoff}, {counted} → positive")
            else:
                parts.append(f"{level} {taken}, ≥ {cutoff} → positive")
        elif call is MRDCall.NEGATIVE:
            parts.append(f"{level} {taken}, < {cutoff} → negative")
        else:
            used.append("require_sensitivity_for_negative")
            stated = (
                "not stated"
                if result.sensitivity_fraction is None
                else power_of_ten(result.sensitivity_fraction)
            )
            rule = mark("require_sensitivity_for_negative", "cannot show a level below the cutoff")
            parts.append(
                f"{level} {taken}, < {cutoff}, but its sensitivity ({stated}) {rule} → indeterminate"
            )
    text = f"{heading}: {'; '.join(parts)}"
    if len(finding.calls) > 1:
        used.append("policy")
        policy = mark("policy", rules.policy.value.replace("_", " "))
        text += f"; combined by {policy}: {finding.call.value}"
    names = tuple(dict.fromkeys(rules.parameters[a] for a in used if a in rules.parameters))
    return Phrase(text, names)
