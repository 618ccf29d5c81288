"""The enrollment wizard's form: the record it describes, and the eligibility checklist it gets.

Inputs are named by their path in the record (``diagnosis.date``,
``prior_steroids[0].start_date``), so a problem the record model reports lands next to its
input. A field that cannot be used is left out of the record (and so is *unknown* to the
screening) while its message is shown; the checklist is always computed from what is usable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from remission.api.schemas.patients import IdentifiersIn
from remission.errors import FieldProblem, InputError
from remission.protocols import Protocol, ScreeningResult, screen_patient
from remission.record.model import Attestation, PatientRecord
from remission.record.parse import parse_record
from remission.record.vocabulary import (
    AttestedOutcome,
    CNSStatus,
    ConsentGiver,
    KMT2AStatus,
    Lineage,
    MarkerResult,
    PhStatus,
    PrednisoneResponse,
    RelapseStatus,
    Sex,
    Syndrome,
    WhoType,
)
from remission.rules.truth import Truth
from remission.store import ConsentCreate
from remission.web.fields import FormField, enum_choices
from remission.web.forms import read_form

RECORDED: tuple[tuple[str, str], ...] = (("none", "none"), ("some", "yes: give it below"))
#: Surface markers the wizard asks for: those the shipped therapy knowledge base reads (CD19, CD22).
IMMUNOPHENOTYPE_MARKERS = ("CD19", "CD22")


def _f(
    name: str, label: str, kind: str, help: str = "", choices: Any = (), required: bool = False
) -> FormField:
    return FormField(name, label, kind, help, tuple(choices), required)


SECTIONS: tuple[tuple[str, tuple[FormField, ...]], ...] = (
    (
        "Patient",
        (
            _f(
                "patient.study_id",
                "Study id",
                "text",
                "Pseudonymous, e.g. SEV-2026-014. Never a name.",
                required=True,
            ),
            _f("patient.sex", "Sex", "select", choices=enum_choices(Sex)),
            _f("patient.date_of_birth", "Date of birth", "date"),
            _f(
                "identifiers.full_name",
                "Full name (kept apart, site only)",
                "text",
                "Optional. Seen only at your site.",
            ),
            _f("identifiers.medical_record_number", "Medical record number", "text", "Optional."),
        ),
    ),
    (
        "Diagnosis",
        (
            _f("diagnosis.date", "Date of diagnosis", "date"),
            _f("diagnosis.who_type", "Diagnosis (WHO)", "select", choices=enum_choices(WhoType)),
            _f(
                "diagnosis.alal_predominant_lineage",
                "ALAL predominant lineage",
                "select",
                "Only for ALAL.",
                enum_choices(Lineage),
            ),
            _f(
                "genetics.kmt2a.status",
                "KMT2A",
                "select",
                "Leave unset while the result is pending.",
                enum_choices(KMT2AStatus),
            ),
            _f(
                "genetics.kmt2a.partner",
                "KMT2A fusion partner",
                "text",
                "HGNC symbol, e.g. AFF1; only when rearranged.",
            ),
            _f(
                "genetics.fusions",
                "Gene fusions found",
                "text",
                "HGNC notation, comma-separated, e.g. KMT2A::AFF1, BCR::ABL1. Write none when tested"
                " and none found; leave empty when not tested.",
            ),
            _f(
                "genetics.ph_status",
                "Philadelphia chromosome (BCR::ABL1)",
                "select",
                "Leave unset while not tested.",
                enum_choices(PhStatus),
            ),
            *(
                _f(
                    f"diagnosis.immunophenotype.{marker}",
                    f"{marker} (immunophenotype)",
                    "select",
                    "Leave unset when not tested.",
                    enum_choices(MarkerResult),
                )
                for marker in IMMUNOPHENOTYPE_MARKERS
            ),
            _f("wbc_at_diagnosis_1e9_per_l", "WBC at diagnosis (×10⁹/L)", "number"),
            _f("cns_status", "CNS status", "select", choices=enum_choices(CNSStatus)),
            _f(
                "prednisone_response",
                "Prednisone response",
                "select",
                choices=enum_choices(PrednisoneResponse),
            ),
        ),
    ),
    (
        "History",
        (
            _f(
                "syndromes",
                "Predisposition syndromes",
                "select",
                "Not assessed leaves the exclusion unknown.",
                RECORDED,
            ),
            _f("prior_hsct", "Prior stem cell transplant", "yesno"),
            _f("relapse_status", "Relapse status", "select", choices=enum_choices(RelapseStatus)),
            _f(
                "prior_steroids",
                "Steroids before study entry",
                "select",
                "Courses in the last weeks count.",
                RECORDED,
            ),
            _f("prior_steroids[0].drug", "Steroid", "text", "e.g. prednisolone"),
            _f("prior_steroids[0].systemic", "Systemic (not topical or inhaled)", "yesno"),
            _f("prior_steroids[0].start_date", "Steroid course start", "date"),
            _f("prior_steroids[0].end_date", "Steroid course end", "date", "Empty while ongoing."),
            _f(
                "other_studies",
                "Other studies",
                "select",
                "Interventional studies ongoing at entry exclude.",
                RECORDED,
            ),
            _f("other_studies[0].study_id", "Other study registry id", "text", "e.g. NCT01234567"),
            _f("other_studies[0].interventional", "Interventional", "yesno"),
            _f("other_studies[0].start_date", "Participation start", "date"),
            _f("other_studies[0].end_date", "Participation end", "date", "Empty while ongoing."),
        ),
    ),
    (
        "Consent",
        (
            _f("consent.given_by", "Consent given by", "select", choices=enum_choices(ConsentGiver)),
            _f("consent.date", "Date of consent", "date"),
            _f("consent.form_version", "Consent form version", "text"),
        ),
    ),
)
FIELDS: tuple[FormField, ...] = tuple(f for _, fields in SECTIONS for f in fields)
SYNDROMES = tuple(s.value for s in Syndrome)
#: Where model-level problems of a section are shown.
SECTION_FIELD = {
    "diagnosis": "diagnosis.alal_predominant_lineage",
    "genetics.kmt2a": "genetics.kmt2a.partner",
}
INPUT_NAMES = frozenset(f.name for f in FIELDS)
#: Inputs read into lists by hand rather than put at their path as they are.
LIST_INPUTS = ("syndromes", "prior_steroids", "other_studies", "genetics.fusions")
#: The study id screened while the typed one is missing or unusable (never stored).
PLACEHOLDER_ID = "NEW-PATIENT"


@dataclass
class WizardForm:
    """The typed form: record data (nested), what was typed, problems by input name, identifiers."""

    raw: dict[str, str]
    data: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    identifiers: dict[str, str] | None = None
    syndromes: list[str] = field(default_factory=list)


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _item(values: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {
        name.removeprefix(prefix): value
        for name, value in values.items()
        if name.startswith(prefix) and value is not None
    }


def read_wizard(form: Mapping[str, Any], *, site_code: str) -> WizardForm:
    """The record data of the wizard's inputs (patient, baseline, consent), with input problems."""
    submission = read_form(FIELDS, form)
    values = submission.values
    wizard = WizardForm(raw=submission.raw, data={}, errors=dict(submission.errors))
    data = wizard.data
    for spec in FIELDS:
        head = spec.name.split(".")[0]
        value = values[spec.name]
        if value is None or "[" in spec.name or spec.name in LIST_INPUTS:
            continue
        if head == "identifiers":
            continue
        _put(data, spec.name, value)
    data.setdefault("patient", {})["site"] = site_code
    wizard.syndromes = (
        [s for s in form.getlist("syndromes_found") if s in SYNDROMES] if hasattr(form, "getlist") else []
    )
    if values["syndromes"] == "none" and not wizard.syndromes:
        data["syndromes"] = []
    elif values["syndromes"] == "some" or wizard.syndromes:
        data["syndromes"] = wizard.syndromes
        if not wizard.syndromes:
            wizard.errors["syndromes"] = "Tick the syndromes found, or choose none."
    fusions = parse_fusions(values["genetics.fusions"])
    if fusions is not None:
        _put(data, "genetics.fusions", fusions)
    for name in ("prior_steroids", "other_studies"):
        if values[name] == "none":
            data[name] = []
        elif values[name] == "some":
            data[name] = [_item(values, f"{name}[0].")]
    name, number = values["identifiers.full_name"], values["identifiers.medical_record_number"]
    if name:
        wizard.identifiers = {"full_name": name, "medical_record_number": number}
        _check_with(IdentifiersIn, wizard.identifiers, "identifiers", wizard)
    elif number:
        wizard.errors["identifiers.full_name"] = "Give the name with the medical record number."
    if isinstance(data.get("consent"), dict):
        _check_with(ConsentCreate, data["consent"], "consent", wizard)
    return wizard


def parse_fusions(text: Any) -> list[str] | None:
    """The fusions typed as ``KMT2A::AFF1, BCR::ABL1``: ``none`` is tested and none found (``[]``),
    an empty input is not tested (``None``). The record model checks each name."""
    typed = str(text or "").strip()
    if not typed:
        return None
    return [] if typed.lower() == "none" else [f.strip() for f in typed.split(",") if f.strip()]


def fusions_text(fusions: list[str] | None) -> str:
    """Stored fusions as the input shows them (the inverse of :func:`parse_fusions`)."""
    if fusions is None:
        return ""
    return ", ".join(fusions) if fusions else "none"


def _check_with(schema: type[BaseModel], values: dict[str, Any], prefix: str, wizard: WizardForm) -> None:
    """Check a stored part (identifiers, consent) with the API's schema, so its column limits hold too."""
    try:
        schema.model_validate(values)
    except ValidationError as error:
        for item in error.errors(include_url=False):
            if item["loc"] and item["type"] != "missing":
                name = f"{prefix}.{item['loc'][0]}"
                wizard.errors.setdefault(name, str(item["msg"]))
                if prefix == "identifiers":
                    wizard.identifiers = None
                else:
                    wizard.data.pop(prefix, None)


def _drop(data: dict[str, Any], path: str) -> bool:
    """Remove the value at a record path (``a.b``, ``a[0].b``); False when there is none."""
    node: Any = data
    parts = path.replace("[", ".[").split(".")
    for part in parts[:-1]:
        key: Any = int(part[1:-1]) if part.startswith("[") else part
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return False
    last: Any = int(parts[-1][1:-1]) if parts[-1].startswith("[") else parts[-1]
    try:
        del node[last]
    except (KeyError, IndexError, TypeError):
        return False
    return True


def usable_record(data: dict[str, Any], errors: dict[str, str], *, today: date) -> PatientRecord:
    """The record from ``data``, leaving out (and reporting in ``errors``) every field it refuses.

    A problem inside a list (a steroid course, a syndrome) leaves the whole list out, so the
    screening treats it as not recorded rather than reading half an entry.
    """
    for _ in range(10):
        try:
            return parse_record(data, today=today, source="enrollment")
        except InputError as error:
            problems: list[FieldProblem] = list(error.problems)
        for problem in problems:
            path = problem.field
            shown = SECTION_FIELD.get(path, path)
            if path == "patient.study_id":  # required by the record; the screening does not read it
                data.setdefault("patient", {})["study_id"] = PLACEHOLDER_ID
            elif "[" in path:
                list_name = path.split("[")[0]
                shown = path if path in INPUT_NAMES else list_name
                if not _drop(data, list_name):
                    data.pop(list_name, None)
            elif not _drop(data, shown) and not _drop(data, path):
                data.pop(path.split(".")[0], None)
            errors.setdefault(shown, problem.problem)
    raise InputError("enrollment", [FieldProblem("(record)", "the form could not be read")])


@dataclass(frozen=True)
class Checklist:
    """The screening to show, the criteria a person may attest, and what was attested."""

    result: ScreeningResult
    attestable: tuple[str, ...]
    chosen: dict[str, str]
    attested_by: str
    attester_role: str
    attestations: tuple[Attestation, ...] = ()


def checklist(
    build: Callable[[list[Attestation]], PatientRecord],
    protocol: Protocol,
    *,
    on: date,
    form: Mapping[str, Any],
    errors: dict[str, str],
    default_name: str,
    default_role: str,
) -> Checklist:
    """Screen the record built without attestations, then with those chosen for its unknown criteria."""
    first = screen_patient(build([]), protocol, as_of=on)
    unknown = tuple(c.id for c in first.criteria if c.status is Truth.UNKNOWN)
    chosen = {cid: str(form.get(f"attest.{cid}", "")) for cid in unknown}
    chosen = {cid: outcome for cid, outcome in chosen.items() if outcome in ("met", "not met")}
    name = str(form.get("attestation.attested_by", default_name) or "").strip()[:200]
    role = str(form.get("attestation.role", default_role) or "").strip()[:64]
    if chosen and not name:
        errors["attestation.attested_by"] = "Name the person who attests."
    if not chosen or not name:
        return Checklist(first, unknown, chosen, name, role)
    attestations = [
        Attestation(
            protocol_id=protocol.id,
            criterion_id=cid,
            outcome=AttestedOutcome(outcome),
            attested_by=name,
            role=role or None,
            date=on,
        )
        for cid, outcome in chosen.items()
    ]
    result = screen_patient(build(attestations), protocol, as_of=on)
    return Checklist(result, unknown, chosen, name, role, tuple(attestations))
