"""Per-resource mappers of the FHIR import: each offers record values with the element they came from.

A mapper never decides a conflict: it offers what its resource says (:class:`Collector`), and
:mod:`remission.interop.fhir_import` keeps a field only when every offer agrees. A value the
record cannot hold (a CNS status "CNS4", a WBC in a unit we do not convert) is bad input and is
collected as a problem naming the resource and element; an element that does not settle a field
(a partial birth date, an ALL code without lineage) leaves that field unknown with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from remission.errors import FieldProblem
from remission.interop import fhir_codes as export_codes
from remission.interop import fhir_import_codes as codes
from remission.interop.fhir_bundle import BundleEntry
from remission.interop.fhir_report import IgnoredItem
from remission.record.vocabulary import (
    AttestedOutcome,
    CNSStatus,
    ConsentGiver,
    ConsentKind,
    KMT2AStatus,
    MRDMethod,
    MRDTimePoint,
    RelapseStatus,
    Sex,
    Syndrome,
)

#: Observation statuses whose value is read (FHIR observation-status: final, amended, corrected).
READ_OBSERVATION_STATUSES = frozenset({"final", "amended", "corrected"})


@dataclass(frozen=True, slots=True)
class Offer:
    value: Any
    element: str
    shown: str


@dataclass(frozen=True, slots=True)
class WbcCount:
    on: dt.date | None
    value_1e9_per_l: float
    element: str
    shown: str


@dataclass
class Collector:
    """What the mappers found: offers per record field, reasons a field stays unknown, problems."""

    offers: dict[str, list[Offer]] = field(default_factory=dict)
    unsettled: dict[str, list[str]] = field(default_factory=dict)
    ignored: list[IgnoredItem] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)
    wbc_counts: list[WbcCount] = field(default_factory=list)
    items: dict[str, list[Offer]] = field(default_factory=dict)

    def offer(self, name: str, value: Any, element: str, shown: str | None = None) -> None:
        self.offers.setdefault(name, []).append(Offer(value, element, str(value) if shown is None else shown))

    def add_item(self, name: str, value: dict[str, Any], element: str, shown: str) -> None:
        """One item of a list field (an MRD result, an attestation)."""
        self.items.setdefault(name, []).append(Offer(value, element, shown))

    def unsettle(self, name: str, reason: str) -> None:
        self.unsettled.setdefault(name, []).append(reason)

    def ignore(self, element: str, reason: str) -> None:
        self.ignored.append(IgnoredItem(element, reason))

    def problem(self, element: str, message: str) -> None:
        self.problems.append(FieldProblem(element, message))


class References:
    """Resolves ``Type/id`` and ``fullUrl`` references to the bundle's own resources."""

    def __init__(self, entries: list[BundleEntry], full_urls: list[str | None]) -> None:
        self._by_key: dict[str, BundleEntry] = {}
        for entry, full_url in zip(entries, full_urls, strict=True):
            if entry.resource.id:
                self._by_key[f"{entry.resource.get_resource_type()}/{entry.resource.id}"] = entry
            if full_url:
                self._by_key[full_url] = entry
        self.used: set[int] = set()

    def resolve(self, reference: Any, kind: str) -> BundleEntry | None:
        key = getattr(reference, "reference", None)
        entry = self._by_key.get(key) if key else None
        if entry is None or entry.resource.get_resource_type() != kind:
            return None
        self.used.add(entry.index)
        return entry


def full_date(value: Any) -> dt.date | None:
    """A FHIR date or dateTime as a calendar date (as written, no time-zone shift); None when partial."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def _codings(concept: Any) -> list[tuple[str, str]]:
    return [(c.system or "", c.code or "") for c in (getattr(concept, "coding", None) or [])]


def _vocabulary(kind: type[StrEnum], value: Any, element: str, collector: Collector) -> StrEnum | None:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(repr(v.value) for v in kind)
        collector.problem(element, f"{value!r} is not one of {allowed}")
        return None


# --- Patient -------------------------------------------------------------------------------------


def map_patient(entry: BundleEntry, collector: Collector, refs: References) -> None:
    patient, label = entry.resource, entry.label
    study_ids = [
        (index, identifier.value)
        for index, identifier in enumerate(patient.identifier or [])
        if identifier.system == export_codes.STUDY_ID_SYSTEM and identifier.value
    ]
    for index, study_id in study_ids:
        collector.offer("patient.study_id", study_id, f"{label}.identifier[{index}].value")
    if not study_ids:
        collector.offer("patient.study_id", patient.id, f"{label}.id")
    if patient.gender in {s.value for s in Sex}:
        collector.offer("patient.sex", Sex(patient.gender), f"{label}.gender", patient.gender)
    elif patient.gender is not None:
        collector.unsettle("patient.sex", f"{label}.gender is {patient.gender!r}")
    born = full_date(patient.birthDate)
    if born is not None:
        collector.offer("patient.date_of_birth", born, f"{label}.birthDate", born.isoformat())
    elif patient.birthDate is not None:
        collector.unsettle(
            "patient.date_of_birth", f"{label}.birthDate {patient.birthDate!r} is not a full date"
        )
    for name in ("name", "telecom", "address"):
        if getattr(patient, name, None):
            collector.ignore(
                f"{label}.{name}", "identifying data is never copied into the pseudonymous record"
            )
    if len(study_ids) < len(patient.identifier or []):
        collector.ignore(
            f"{label}.identifier",
            "identifiers other than remission's study id are never copied into the pseudonymous record",
        )


# --- Condition -----------------------------------------------------------------------------------


def map_condition(entry: BundleEntry, collector: Collector, refs: References) -> None:
    condition, label = entry.resource, entry.label
    verification = {code for _, code in _codings(condition.verificationStatus)}
    if verification & codes.NOT_READ_VERIFICATION:
        collector.ignore(label, f"verificationStatus is {', '.join(sorted(verification))}")
        return
    found = [(s, c) for s, c in _codings(condition.code) if (s, c) in codes.WHO_TYPE_CODES]
    vague = [(s, c) for s, c in _codings(condition.code) if (s, c) in codes.ALL_WITHOUT_LINEAGE_CODES]
    if not found and not vague:
        shown = ", ".join(f"{s}|{c}" for s, c in _codings(condition.code)) or "no coding"
        collector.ignore(f"{label}.code", f"not a diagnosis code this import recognises ({shown})")
        return
    for system, code in found:
        collector.offer(
            "diagnosis.who_type", codes.WHO_TYPE_CODES[(system, code)], f"{label}.code", f"{code}"
        )
    if vague and not found:
        shown = ", ".join(c for _, c in vague)
        collector.unsettle(
            "diagnosis.who_type",
            f"{label}.code {shown} is acute lymphoblastic leukaemia without B or T lineage",
        )
    onset = full_date(condition.onsetDateTime)
    if onset is not None:
        collector.offer("diagnosis.date", onset, f"{label}.onsetDateTime", onset.isoformat())
    elif condition.onsetDateTime is not None:
        collector.unsettle("diagnosis.date", f"{label}.onsetDateTime is not a full date")
    if condition.recordedDate is not None:
        collector.ignore(f"{label}.recordedDate", "the date it was written down, not the date of diagnosis")


# --- Observation ---------------------------------------------------------------------------------


def map_observation(entry: BundleEntry, collector: Collector, refs: References) -> None:
    observation, label = entry.resource, entry.label
    if observation.status not in READ_OBSERVATION_STATUSES:
        collector.ignore(label, f"status is {observation.status!r}, not final, amended or corrected")
        return
    codings = _codings(observation.code)
    if observation.dataAbsentReason is not None:
        reason = ", ".join(code for _, code in _codings(observation.dataAbsentReason)) or "no code"
        collector.ignore(label, f"no value (dataAbsentReason {reason})")
        return
    if any(system == codes.LOINC and code in codes.WBC_LOINC for system, code in codings):
        _map_wbc(entry, collector)
        return
    export_mapper = _export_shape(entry)
    if export_mapper is not None:
        export_mapper(entry, collector)
        return
    local = [code for system, code in codings if system == codes.REMISSION_RECORD]
    mapper = RECORD_FIELD_MAPPERS.get(local[0]) if local else None
    if mapper is None:
        shown = ", ".join(f"{s}|{c}" for s, c in codings) or "no coding"
        collector.ignore(f"{label}.code", f"not an observation this import reads ({shown})")
        return
    mapper(entry, collector)


def _map_wbc(entry: BundleEntry, collector: Collector) -> None:
    observation, label = entry.resource, entry.label
    quantity = observation.valueQuantity
    element = f"{label}.valueQuantity"
    if quantity is None or quantity.value is None:
        collector.ignore(label, "a WBC count without valueQuantity.value")
        return
    if quantity.system not in (None, codes.UCUM) or quantity.code not in codes.WBC_UNIT_FACTORS:
        known = ", ".join(sorted(codes.WBC_UNIT_FACTORS))
        collector.problem(
            f"{element}.code",
            f"WBC unit {quantity.code or quantity.unit!r} (system {quantity.system!r}) is not a UCUM unit"
            f" this import converts ({known})",
        )
        return
    value = Decimal(quantity.value) * codes.WBC_UNIT_FACTORS[quantity.code]
    shown = f"{quantity.value} {quantity.code} = {value.normalize():f} ×10⁹/L"
    on = full_date(observation.effectiveDateTime)
    collector.wbc_counts.append(WbcCount(on, float(value), element, shown))


def _string_value(entry: BundleEntry, collector: Collector) -> str | None:
    value = entry.resource.valueString
    if value is None:
        collector.problem(
            f"{entry.label}.valueString", "missing: this record-field observation carries a string"
        )
    return value


def _enum_field(name: str, kind: type[StrEnum]) -> Callable[[BundleEntry, Collector], None]:
    def mapper(entry: BundleEntry, collector: Collector) -> None:
        value = _string_value(entry, collector)
        element = f"{entry.label}.valueString"
        member = _vocabulary(kind, value, element, collector) if value is not None else None
        if member is not None:
            collector.offer(name, member, element, member.value)

    return mapper


def _boolean_field(name: str, value_when_true: Any) -> Callable[[BundleEntry, Collector], None]:
    def mapper(entry: BundleEntry, collector: Collector) -> None:
        element = f"{entry.label}.valueBoolean"
        value = entry.resource.valueBoolean
        if value is None:
            collector.problem(element, "missing: this record-field observation carries a boolean")
        elif name == "prior_hsct":
            collector.offer(name, value, element, str(value).lower())
        elif value:
            collector.offer(name, value_when_true, element, "none")
        else:
            collector.ignore(element, "false says nothing about which items there are")

    return mapper


def _map_kmt2a(entry: BundleEntry, collector: Collector) -> None:
    _enum_field("genetics.kmt2a.status", KMT2AStatus)(entry, collector)
    observation, label = entry.resource, entry.label
    if observation.method is not None and observation.method.text:
        collector.offer("genetics.kmt2a.method", observation.method.text, f"{label}.method.text")
    for index, component in enumerate(observation.component or []):
        element = f"{label}.component[{index}]"
        if (codes.REMISSION_RECORD, "genetics.kmt2a.partner") in _codings(component.code):
            collector.offer("genetics.kmt2a.partner", component.valueString, f"{element}.valueString")
        else:
            collector.ignore(element, "not a component this import reads")


def _map_syndrome(entry: BundleEntry, collector: Collector) -> None:
    value = _string_value(entry, collector)
    element = f"{entry.label}.valueString"
    member = _vocabulary(Syndrome, value, element, collector) if value is not None else None
    if member is not None:
        collector.add_item("syndromes", {"value": member.value}, element, member.value)


def _components(entry: BundleEntry) -> dict[str, tuple[str, Any]]:
    found = {}
    for index, component in enumerate(entry.resource.component or []):
        for system, code in _codings(component.code):
            if system == codes.REMISSION_RECORD:
                found[code] = (f"{entry.label}.component[{index}]", component)
    return found


def _map_attestation(entry: BundleEntry, collector: Collector) -> None:
    observation, label = entry.resource, entry.label
    value = _string_value(entry, collector)
    outcome = _vocabulary(AttestedOutcome, value, f"{label}.valueString", collector) if value else None
    parts = _components(entry)
    protocol = parts.get("attestation.protocol_id", ("", None))[1]
    criterion = parts.get("attestation.criterion_id", ("", None))[1]
    performer = (observation.performer or [None])[0]
    attested_by = getattr(performer, "display", None)
    on = full_date(observation.effectiveDateTime)
    missing = [
        name
        for name, present in (
            ("component attestation.protocol_id", protocol is not None and protocol.valueString),
            ("component attestation.criterion_id", criterion is not None and criterion.valueString),
            ("performer[0].display", attested_by),
            ("effectiveDateTime (a full date)", on),
        )
        if not present
    ]
    if missing:
        collector.problem(label, f"an attestation needs {', '.join(missing)}")
        return
    if outcome is None:
        return
    note = (observation.note or [None])[0]
    item = {
        "protocol_id": protocol.valueString,
        "criterion_id": criterion.valueString,
        "outcome": outcome.value,
        "attested_by": attested_by,
        "date": on,
        "note": getattr(note, "text", None),
    }
    collector.add_item(
        "attestations", item, label, f"{criterion.valueString} {outcome.value} by {attested_by}"
    )


def _fraction(quantity: Any, element: str, collector: Collector) -> float | None:
    if quantity is None or quantity.value is None:
        return None
    if quantity.system not in (None, codes.UCUM) or quantity.code not in codes.MRD_UNIT_FACTORS:
        collector.problem(
            f"{element}.code",
            f"MRD unit {quantity.code or quantity.unit!r} is not '1' (a fraction) or '%'",
        )
        return None
    return float(Decimal(quantity.value) * codes.MRD_UNIT_FACTORS[quantity.code])


def _map_mrd(entry: BundleEntry, collector: Collector) -> None:
    observation, label = entry.resource, entry.label
    parts = _components(entry)
    point_element, point = parts.get("mrd.time_point", (f"{label}.component", None))
    time_point = (
        _vocabulary(MRDTimePoint, point.valueString, f"{point_element}.valueString", collector)
        if point
        else None
    )
    method_text = observation.method.text if observation.method is not None else None
    method = _vocabulary(MRDMethod, method_text, f"{label}.method.text", collector) if method_text else None
    on = full_date(observation.effectiveDateTime)
    value = _fraction(observation.valueQuantity, f"{label}.valueQuantity", collector)
    sensitivity_element, sensitivity = parts.get("mrd.sensitivity", (label, None))
    limit = (
        _fraction(sensitivity.valueQuantity, f"{sensitivity_element}.valueQuantity", collector)
        if sensitivity
        else None
    )
    if time_point is None or method is None or on is None or value is None:
        collector.ignore(
            label,
            "an MRD result is read only with a time point component, method.text, a full effectiveDateTime "
            "and a valueQuantity",
        )
        return
    item = {
        "time_point": time_point.value,
        "method": method.value,
        "sample_date": on,
        "value_fraction": value,
        "sensitivity_fraction": limit,
    }
    collector.add_item("mrd", item, label, f"{time_point.value}: {value:g} ({method.value})")


# --- Observations in the shapes remission's FHIR export writes (fhir_codes.py) ---------------------


def _export_shape(entry: BundleEntry) -> Callable[[BundleEntry, Collector], None] | None:
    """The mapper of an observation the export writes: CNS status, KMT2A variant, MRD; else None."""
    observation = entry.resource
    if any(system == export_codes.CNS_STATUS for system, _ in _codings(observation.valueCodeableConcept)):
        return _map_export_cns
    if (export_codes.LOINC, export_codes.GENETIC_VARIANT_ASSESSMENT.code) in _codings(observation.code):
        return _map_export_variant
    if any(system == export_codes.MRD_METHOD for system, _ in _codings(observation.method)):
        return _map_export_mrd
    return None


def _map_export_cns(entry: BundleEntry, collector: Collector) -> None:
    element = f"{entry.label}.valueCodeableConcept"
    for system, code in _codings(entry.resource.valueCodeableConcept):
        if system == export_codes.CNS_STATUS:
            member = _vocabulary(CNSStatus, code, f"{element}.coding", collector)
            if member is not None:
                collector.offer("cns_status", member, element, member.value)


def _genes_studied(entry: BundleEntry) -> list[str]:
    gene_studied = (export_codes.LOINC, export_codes.GENE_STUDIED.code)
    return [
        component.valueCodeableConcept.text
        for component in entry.resource.component or []
        if gene_studied in _codings(component.code)
        and component.valueCodeableConcept is not None
        and component.valueCodeableConcept.text
    ]


def _map_export_variant(entry: BundleEntry, collector: Collector) -> None:
    """A Genomics Reporting variant observation (69548-6) with KMT2A among the genes studied:
    Present (LA9633-4) is rearranged, Absent (LA9634-2) germline; one other gene is the partner."""
    observation, label = entry.resource, entry.label
    genes = _genes_studied(entry)
    if "KMT2A" not in genes:
        collector.ignore(label, f"a variant of {', '.join(genes) or 'no gene'}: only KMT2A is read")
        return
    answers = set(_codings(observation.valueCodeableConcept))
    element = f"{label}.valueCodeableConcept"
    if (export_codes.LOINC, export_codes.PRESENT.code) in answers:
        collector.offer("genetics.kmt2a.status", KMT2AStatus.REARRANGED, element, "rearranged (Present)")
        partners = [gene for gene in genes if gene != "KMT2A"]
        if len(partners) == 1:
            collector.offer("genetics.kmt2a.partner", partners[0], f"{label}.component (gene studied)")
    elif (export_codes.LOINC, export_codes.ABSENT.code) in answers:
        collector.offer("genetics.kmt2a.status", KMT2AStatus.GERMLINE, element, "germline (Absent)")
    else:
        collector.ignore(element, "neither Present (LA9633-4) nor Absent (LA9634-2)")
        return
    if observation.method is not None and observation.method.text:
        collector.offer("genetics.kmt2a.method", observation.method.text, f"{label}.method.text")


#: The label of the export's MRD sensitivity component (its code has text only, no coding).
EXPORT_MRD_SENSITIVITY_TEXT = "MRD assay sensitivity"


def _map_export_mrd(entry: BundleEntry, collector: Collector) -> None:
    observation, label = entry.resource, entry.label
    methods = [code for system, code in _codings(observation.method) if system == export_codes.MRD_METHOD]
    method = _vocabulary(MRDMethod, methods[0], f"{label}.method.coding", collector)
    time_point = None
    limit = None
    for index, component in enumerate(observation.component or []):
        element = f"{label}.component[{index}]"
        points = [c for s, c in _codings(component.valueCodeableConcept) if s == export_codes.MRD_TIME_POINT]
        if points:
            time_point = _vocabulary(MRDTimePoint, points[0], f"{element}.valueCodeableConcept", collector)
        elif component.code is not None and component.code.text == EXPORT_MRD_SENSITIVITY_TEXT:
            limit = _fraction(component.valueQuantity, f"{element}.valueQuantity", collector)
    on = full_date(observation.effectiveDateTime)
    value = _fraction(observation.valueQuantity, f"{label}.valueQuantity", collector)
    if time_point is None or method is None or on is None or value is None:
        collector.ignore(
            label, "an MRD result is read only with its time point, method, a full date and a valueQuantity"
        )
        return
    item = {
        "time_point": time_point.value,
        "method": method.value,
        "sample_date": on,
        "value_fraction": value,
        "sensitivity_fraction": limit,
    }
    collector.add_item("mrd", item, label, f"{time_point.value}: {value:g} ({method.value})")


#: The observations coded with :data:`~codes.REMISSION_RECORD`, by code (the record field).
RECORD_FIELD_MAPPERS: dict[str, Callable[[BundleEntry, Collector], None]] = {
    "cns_status": _enum_field("cns_status", CNSStatus),
    "relapse_status": _enum_field("relapse_status", RelapseStatus),
    "genetics.kmt2a.status": _map_kmt2a,
    "prior_hsct": _boolean_field("prior_hsct", None),
    "syndromes": _map_syndrome,
    "syndromes.none": _boolean_field("syndromes", []),
    "prior_steroids.none": _boolean_field("prior_steroids", []),
    "other_studies.none": _boolean_field("other_studies", []),
    "attestations": _map_attestation,
    "mrd": _map_mrd,
}


# --- Consent -------------------------------------------------------------------------------------


def map_consent(entry: BundleEntry, collector: Collector, refs: References) -> None:
    consent, label = entry.resource, entry.label
    scopes = {code for system, code in _codings(consent.scope) if system == codes.CONSENT_SCOPE}
    if codes.RESEARCH_SCOPE not in scopes:
        collector.ignore(label, "not a research consent (Consent.scope is not consentscope|research)")
        return
    if consent.status != "active":
        collector.ignore(label, f"status is {consent.status!r}, not active")
        return
    roles: list[str] = []
    givers: list[str] = []
    for index, performer in enumerate(consent.performer or []):
        person = refs.resolve(performer, "RelatedPerson")
        element = f"{label}.performer[{index}]"
        if person is None and performer.display in {giver.value for giver in ConsentGiver}:
            givers.append(performer.display)  # remission's export names the giver in the record's words
            continue
        if person is None:
            collector.ignore(element, "not a RelatedPerson in this bundle: who consented is not read")
            continue
        relation = {c for s, c in _codings_all(person.resource.relationship) if s == codes.V3_ROLE_CODE}
        if relation & codes.PARENT_ROLES:
            roles.append("parent")
        elif relation & codes.GUARDIAN_ROLES:
            roles.append("guardian")
        else:
            collector.ignore(f"{person.label}.relationship", "not a parent (MTH, FTH) or guardian (GUARD)")
    given_by = {("parent",): "parent", ("parent", "parent"): "parents", ("guardian",): "guardian"}.get(
        tuple(sorted(roles))
    )
    if givers and not roles and len(givers) == 1:
        given_by = givers[0]
        if ConsentGiver(given_by).kind is not ConsentKind.PARENTAL_PERMISSION:
            collector.ignore(label, f"given by the {given_by}: not the parents' permission the record holds")
            return
    on = full_date(consent.dateTime)
    form = consent.sourceAttachment.title if consent.sourceAttachment is not None else None
    rule = consent.policyRule.text if consent.policyRule is not None else None
    if not form and rule and rule.startswith(EXPORT_FORM_VERSION_PREFIX):
        form = rule.removeprefix(EXPORT_FORM_VERSION_PREFIX)
    reasons = [
        reason
        for reason, missing in (
            ("who consented is not one parent, two parents or one guardian", given_by is None),
            ("Consent.dateTime is not a full date", on is None),
            ("no form version (Consent.sourceAttachment.title)", not form),
        )
        if missing
    ]
    if reasons:
        collector.unsettle("consent", f"{label}: {'; '.join(reasons)}")
        return
    shown = f"{given_by} on {on.isoformat() if on else ''}, {form}"
    collector.offer("consent", {"given_by": given_by, "date": on, "form_version": form}, label, shown)


#: How remission's export words a consent's form version (Consent.policyRule.text).
EXPORT_FORM_VERSION_PREFIX = "consent form version "


def _codings_all(concepts: Any) -> list[tuple[str, str]]:
    return [pair for concept in concepts or [] for pair in _codings(concept)]


# --- ResearchSubject -----------------------------------------------------------------------------


def research_subject_mapper(protocol_id: str | None) -> Callable[[BundleEntry, Collector, References], None]:
    """Reads the study entry date from the ResearchSubject of the study being screened for."""

    def mapper(entry: BundleEntry, collector: Collector, refs: References) -> None:
        subject, label = entry.resource, entry.label
        study = refs.resolve(subject.study, "ResearchStudy")
        ids = {_protocol_of(i) for i in (study.resource.identifier or [])} if study else set()
        if subject.study is not None and subject.study.identifier is not None:
            ids.add(subject.study.identifier.value)
        if protocol_id is None or protocol_id not in ids:
            shown = ", ".join(sorted(i for i in ids if i)) or "no identifier"
            collector.ignore(
                label,
                f"a study other than the one screened for ({shown})"
                "; whether it is interventional is not carried by R4 ResearchStudy",
            )
            return
        start = full_date(subject.period.start) if subject.period is not None else None
        if start is None:
            collector.unsettle("study_entry_date", f"{label}.period.start is not a full date")
            return
        collector.offer("study_entry_date", start, f"{label}.period.start", start.isoformat())

    return mapper


def _protocol_of(identifier: Any) -> str | None:
    """The protocol id of a ResearchStudy identifier (the export's ``NCT…|version`` is cut at ``|``)."""
    value = identifier.value
    if identifier.system == export_codes.PROTOCOL_ID_SYSTEM and value:
        return str(value).partition("|")[0]
    return str(value) if value is not None else None


#: Resource types read only through another resource's reference.
REFERENCED_ONLY = frozenset({"RelatedPerson", "ResearchStudy"})
