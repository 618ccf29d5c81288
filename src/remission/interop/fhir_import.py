"""Import an EHR's FHIR R4/R4B Bundle into a screening record, with a mapping report.

Nothing is guessed: a field is set only when every resource that speaks to it agrees; a field
that no resource settles, or that resources contradict (two WBC counts on the diagnosis date),
stays unknown and is listed in the report with the reason, so the screening says *needs review*.
Bad input (a malformed bundle, an unknown or R5 resource type, a unit the import does not
convert, a value the record cannot hold) raises :class:`~remission.errors.InputError` naming the
resource and element. Only :mod:`remission.record` is needed: no store, no database.
See docs/interop.md §3 for the mapping table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from remission.errors import FieldProblem, InputError
from remission.interop.fhir_bundle import BundleEntry, is_fhir_bundle, parse_bundle
from remission.interop.fhir_collector import Collector, Offer, References
from remission.interop.fhir_ehr_mappers import (
    REFERENCED_ONLY,
    map_condition,
    map_consent,
    map_observation,
    map_patient,
    research_subject_mapper,
)
from remission.interop.fhir_report import MappingReport, ReadItem, UnknownItem
from remission.record import PatientRecord, parse_record

__all__ = ["ImportedBundle", "import_bundle", "is_fhir_bundle"]

#: The record fields a screening reads, each reported as unknown when the bundle does not settle it.
SCREENED_FIELDS = (
    "patient.sex",
    "patient.date_of_birth",
    "diagnosis.date",
    "diagnosis.who_type",
    "wbc_at_diagnosis_1e9_per_l",
    "cns_status",
    "genetics.kmt2a.status",
    "syndromes",
    "prior_steroids",
    "prior_hsct",
    "relapse_status",
    "consent",
    "other_studies",
    "study_entry_date",
)

#: Why a field is absent when no resource in the bundle speaks to it.
NOT_CARRIED = {
    "syndromes": "no record-field observation syndromes or syndromes.none: absence of a Condition is not "
    "'none found'",
    "prior_steroids": "no record-field observation prior_steroids.none; medication resources are not read",
    "other_studies": "no record-field observation other_studies.none; R4 ResearchStudy does not say "
    "interventional",
}


@dataclass(frozen=True, slots=True)
class ImportedBundle:
    """The record read from a bundle and the report of how."""

    record: PatientRecord
    report: MappingReport


def import_bundle(
    data: dict[str, Any], *, today: dt.date, source: str = "bundle", protocol_id: str | None = None
) -> ImportedBundle:
    """Map a decoded FHIR Bundle to a checked record; :class:`InputError` if it cannot be used.

    ``protocol_id`` picks the ResearchSubject whose study entry date is read (the study being
    screened for, matched on its ResearchStudy identifier).
    """
    entries = parse_bundle(data, source=source)
    raw_entries = data.get("entry") or []
    refs = References(entries, [e.get("fullUrl") if isinstance(e, dict) else None for e in raw_entries])
    patients = [e for e in entries if e.resource.get_resource_type() == "Patient"]
    if len(patients) != 1:
        raise InputError(
            source, [FieldProblem("Bundle.entry", f"holds {len(patients)} Patient resources, not 1")]
        )
    collector = Collector()
    mappers: dict[str, Callable[[BundleEntry, Collector, References], None]] = {
        "Patient": map_patient,
        "Condition": map_condition,
        "Observation": map_observation,
        "Consent": map_consent,
        "ResearchSubject": research_subject_mapper(protocol_id),
    }
    for entry in entries:
        kind = entry.resource.get_resource_type()
        if kind in mappers:
            mappers[kind](entry, collector, refs)
    for entry in entries:
        kind = entry.resource.get_resource_type()
        if kind not in mappers and not (kind in REFERENCED_ONLY and entry.index in refs.used):
            collector.ignore(entry.label, _why_not_read(kind))
    if collector.problems:
        raise InputError(source, collector.problems)
    return _assemble(collector, source=source, resources=len(entries), today=today)


def _why_not_read(kind: str) -> str:
    if kind in REFERENCED_ONLY:
        return "not referenced by a Consent or ResearchSubject this import reads"
    if kind in {"MedicationStatement", "MedicationAdministration", "MedicationRequest"}:
        return "medications are not read (steroid courses need drug, route and dates the import does not map)"
    if kind == "Procedure":
        return "procedures are not read (prior HSCT is read from the record-field observation prior_hsct)"
    return f"{kind} carries nothing the screening record holds"


def _assemble(collector: Collector, *, source: str, resources: int, today: dt.date) -> ImportedBundle:
    settled: dict[str, Offer] = {}
    unknown: dict[str, str] = {}
    for name, offers in collector.offers.items():
        distinct = {repr(offer.value) for offer in offers}
        if len(distinct) == 1:
            settled[name] = offers[0]
        else:
            shown = "; ".join(f"{offer.shown} from {offer.element}" for offer in offers)
            unknown[name] = f"conflicting values: {shown}"
    for name, reasons in collector.unsettled.items():
        if name not in settled and name not in unknown:
            unknown[name] = "; ".join(reasons)
    _settle_wbc(collector, settled, unknown)
    _settle_syndromes(collector, settled, unknown)
    data = _record_data(settled, collector)
    read = [ReadItem(name, offer.element, offer.shown) for name, offer in settled.items()]
    read += [
        ReadItem(name, item.element, item.shown) for name, items in collector.items.items() for item in items
    ]
    for name in SCREENED_FIELDS:
        if _absent(name, data) and name not in unknown:
            unknown[name] = NOT_CARRIED.get(name, "not in the bundle")
    if not collector.items.get("attestations"):
        unknown["attestations"] = "no attestation in the bundle: criteria decided by a person need one"
    try:
        record = parse_record(data, today=today, source=source)
    except InputError as error:
        where = {name: offer.element for name, offer in settled.items()}
        problems = [FieldProblem(_element_of(p.field, where), p.problem) for p in error.problems]
        raise InputError(source, problems) from None
    report = MappingReport(
        source=source,
        resources=resources,
        read=tuple(sorted(read, key=lambda item: item.field)),
        ignored=tuple(collector.ignored),
        unknown=tuple(UnknownItem(name, reason) for name, reason in sorted(unknown.items())),
    )
    return ImportedBundle(record, report)


def _settle_wbc(collector: Collector, settled: dict[str, Offer], unknown: dict[str, str]) -> None:
    name = "wbc_at_diagnosis_1e9_per_l"
    if not collector.wbc_counts:
        return
    diagnosed = settled.get("diagnosis.date")
    if diagnosed is None:
        unknown[name] = "WBC counts are in the bundle but the diagnosis date is unknown"
        return
    on_the_day = [count for count in collector.wbc_counts if count.on == diagnosed.value]
    for count in collector.wbc_counts:
        if count.on != diagnosed.value:
            collector.ignore(count.element, f"not taken on the diagnosis date {diagnosed.value.isoformat()}")
    values = {count.value_1e9_per_l for count in on_the_day}
    if not on_the_day:
        unknown[name] = f"no WBC count dated the diagnosis date {diagnosed.value.isoformat()}"
    elif len(values) > 1:
        shown = "; ".join(f"{count.shown} from {count.element}" for count in on_the_day)
        unknown[name] = f"conflicting counts on the diagnosis date: {shown}"
    else:
        first = on_the_day[0]
        settled[name] = Offer(first.value_1e9_per_l, first.element, first.shown)


def _settle_syndromes(collector: Collector, settled: dict[str, Offer], unknown: dict[str, str]) -> None:
    found = collector.items.pop("syndromes", [])
    if not found:
        return
    if "syndromes" in settled or "syndromes" in unknown:
        shown = ", ".join(f"{item.shown} from {item.element}" for item in found)
        settled.pop("syndromes", None)
        unknown["syndromes"] = f"conflicting: 'none' and {shown}"
        return
    values = sorted({item.value["value"] for item in found})
    settled["syndromes"] = Offer(values, ", ".join(item.element for item in found), ", ".join(values))


def _record_data(settled: dict[str, Offer], collector: Collector) -> dict[str, Any]:
    data: dict[str, Any] = {"schema_version": "1"}
    for name, offer in settled.items():
        value = offer.value.value if isinstance(offer.value, StrEnum) else offer.value
        *parents, leaf = name.split(".")
        node = data
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    kmt2a = data.get("genetics", {}).get("kmt2a")
    if kmt2a is not None and "status" not in kmt2a:
        data["genetics"].pop("kmt2a")  # a method or partner without a status says nothing
    for name, items in collector.items.items():
        data[name] = [{k: v for k, v in item.value.items() if v is not None} for item in items]
    data.setdefault("patient", {})
    return data


def _absent(name: str, data: dict[str, Any]) -> bool:
    node: Any = data
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return True
        node = node[part]
    return node is None


def _element_of(field: str, where: dict[str, str]) -> str:
    for name in sorted(where, key=len, reverse=True):
        if field == name or field.startswith(f"{name}.") or field.startswith(f"{name}["):
            return f"{where[name]} ({field})"
    return field
