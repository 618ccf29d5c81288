"""Per-resource mappers of the FHIR import for the resources an EHR sends (Patient, Condition,
Observation, Consent, ResearchSubject): each offers record values with the element they came from.
Observations in the shapes remission's own export writes are read by
:mod:`remission.interop.fhir_export_readers`.

A mapper never decides a conflict: it offers what its resource says (:class:`Collector`), and
:mod:`remission.interop.fhir_import` keeps a field only when every offer agrees. A value the
record cannot hold (a CNS status "CNS4", a WBC in a unit we do not convert) is bad input and is
collected as a problem naming the resource and element; an element that does not settle a field
(a partial birth date, an ALL code without lineage) leaves that field unknown with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from typing import Any

from remission.interop import fhir_codes as export_codes
from remission.interop import fhir_import_codes as codes
from remission.interop.fhir_bundle import BundleEntry
from remission.interop.fhir_collector import (
    Collector,
    References,
    WbcCount,
    all_codings,
    codings,
    full_date,
    quantity_fraction,
    vocabulary_member,
)
from remission.interop.fhir_export_readers import EXPORT_FORM_VERSION_PREFIX, export_shape_mapper
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
    verification = {code for _, code in codings(condition.verificationStatus)}
    if verification & codes.NOT_READ_VERIFICATION:
        collector.ignore(label, f"verificationStatus is {', '.join(sorted(verification))}")
        return
    found = [(s, c) for s, c in codings(condition.code) if (s, c) in codes.WHO_TYPE_CODES]
    vague = [(s, c) for s, c in codings(condition.code) if (s, c) in codes.ALL_WITHOUT_LINEAGE_CODES]
    if not found and not vague:
        shown = ", ".join(f"{s}|{c}" for s, c in codings(condition.code)) or "no coding"
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
    code_pairs = codings(observation.code)
    if observation.dataAbsentReason is not None:
        reason = ", ".join(code for _, code in codings(observation.dataAbsentReason)) or "no code"
        collector.ignore(label, f"no value (dataAbsentReason {reason})")
        return
    if any(system == codes.LOINC and code in codes.WBC_LOINC for system, code in code_pairs):
        _map_wbc(entry, collector)
        return
    export_mapper = export_shape_mapper(entry)
    if export_mapper is not None:
        export_mapper(entry, collector)
        return
    local = [code for system, code in code_pairs if system == codes.REMISSION_RECORD]
    mapper = RECORD_FIELD_MAPPERS.get(local[0]) if local else None
    if mapper is None:
        shown = ", ".join(f"{s}|{c}" for s, c in code_pairs) or "no coding"
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
        member = vocabulary_member(kind, value, element, collector) if value is not None else None
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
        if (codes.REMISSION_RECORD, "genetics.kmt2a.partner") in codings(component.code):
            collector.offer("genetics.kmt2a.partner", component.valueString, f"{element}.valueString")
        else:
            collector.ignore(element, "not a component this import reads")


def _map_syndrome(entry: BundleEntry, collector: Collector) -> None:
    value = _string_value(entry, collector)
    element = f"{entry.label}.valueString"
    member = vocabulary_member(Syndrome, value, element, collector) if value is not None else None
    if member is not None:
        collector.add_item("syndromes", {"value": member.value}, element, member.value)


def _components(entry: BundleEntry) -> dict[str, tuple[str, Any]]:
    found = {}
    for index, component in enumerate(entry.resource.component or []):
        for system, code in codings(component.code):
            if system == codes.REMISSION_RECORD:
                found[code] = (f"{entry.label}.component[{index}]", component)
    return found


def _map_attestation(entry: BundleEntry, collector: Collector) -> None:
    observation, label = entry.resource, entry.label
    value = _string_value(entry, collector)
    outcome = vocabulary_member(AttestedOutcome, value, f"{label}.valueString", collector) if value else None
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


def _map_mrd(entry: BundleEntry, collector: Collector) -> None:
    observation, label = entry.resource, entry.label
    parts = _components(entry)
    point_element, point = parts.get("mrd.time_point", (f"{label}.component", None))
    time_point = (
        vocabulary_member(MRDTimePoint, point.valueString, f"{point_element}.valueString", collector)
        if point
        else None
    )
    method_text = observation.method.text if observation.method is not None else None
    method = (
        vocabulary_member(MRDMethod, method_text, f"{label}.method.text", collector) if method_text else None
    )
    on = full_date(observation.effectiveDateTime)
    value = quantity_fraction(observation.valueQuantity, f"{label}.valueQuantity", collector)
    sensitivity_element, sensitivity = parts.get("mrd.sensitivity", (label, None))
    limit = (
        quantity_fraction(sensitivity.valueQuantity, f"{sensitivity_element}.valueQuantity", collector)
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
    collector.add_mrd(label, time_point, method, on, value, limit)


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
    scopes = {code for system, code in codings(consent.scope) if system == codes.CONSENT_SCOPE}
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
        relation = {c for s, c in all_codings(person.resource.relationship) if s == codes.V3_ROLE_CODE}
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
