"""Readers of the shapes remission's own FHIR export writes (fhir_clinical.py, fhir_study.py, with
the codes of fhir_codes.py): CNS status, the KMT2A variant and MRD observations, and the wording of
a consent's form version. Each offers record values to the import's
:class:`~remission.interop.fhir_collector.Collector`.
"""

from __future__ import annotations

from collections.abc import Callable

from remission.interop import fhir_codes as export_codes
from remission.interop.fhir_bundle import BundleEntry
from remission.interop.fhir_collector import (
    Collector,
    codings,
    full_date,
    quantity_fraction,
    vocabulary_member,
)
from remission.record.vocabulary import CNSStatus, KMT2AStatus, MRDMethod, MRDTimePoint

#: How remission's export words a consent's form version (Consent.policyRule.text).
EXPORT_FORM_VERSION_PREFIX = "consent form version "

#: The label of the export's MRD sensitivity component (its code has text only, no coding).
EXPORT_MRD_SENSITIVITY_TEXT = "MRD assay sensitivity"


def export_shape_mapper(entry: BundleEntry) -> Callable[[BundleEntry, Collector], None] | None:
    """The mapper of an observation the export writes: CNS status, KMT2A variant, MRD; else None."""
    observation = entry.resource
    if any(system == export_codes.CNS_STATUS for system, _ in codings(observation.valueCodeableConcept)):
        return map_export_cns
    if (export_codes.LOINC, export_codes.GENETIC_VARIANT_ASSESSMENT.code) in codings(observation.code):
        return map_export_variant
    if any(system == export_codes.MRD_METHOD for system, _ in codings(observation.method)):
        return map_export_mrd
    return None


def map_export_cns(entry: BundleEntry, collector: Collector) -> None:
    element = f"{entry.label}.valueCodeableConcept"
    for system, code in codings(entry.resource.valueCodeableConcept):
        if system == export_codes.CNS_STATUS:
            member = vocabulary_member(CNSStatus, code, f"{element}.coding", collector)
            if member is not None:
                collector.offer("cns_status", member, element, member.value)


def genes_studied(entry: BundleEntry) -> list[str]:
    gene_studied = (export_codes.LOINC, export_codes.GENE_STUDIED.code)
    return [
        component.valueCodeableConcept.text
        for component in entry.resource.component or []
        if gene_studied in codings(component.code)
        and component.valueCodeableConcept is not None
        and component.valueCodeableConcept.text
    ]


def map_export_variant(entry: BundleEntry, collector: Collector) -> None:
    """A Genomics Reporting variant observation (69548-6) with KMT2A among the genes studied:
    Present (LA9633-4) is rearranged, Absent (LA9634-2) germline; one other gene is the partner."""
    observation, label = entry.resource, entry.label
    genes = genes_studied(entry)
    if "KMT2A" not in genes:
        collector.ignore(label, f"a variant of {', '.join(genes) or 'no gene'}: only KMT2A is read")
        return
    answers = set(codings(observation.valueCodeableConcept))
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


def map_export_mrd(entry: BundleEntry, collector: Collector) -> None:
    observation, label = entry.resource, entry.label
    methods = [code for system, code in codings(observation.method) if system == export_codes.MRD_METHOD]
    method = vocabulary_member(MRDMethod, methods[0], f"{label}.method.coding", collector)
    time_point = None
    limit = None
    for index, component in enumerate(observation.component or []):
        element = f"{label}.component[{index}]"
        points = [c for s, c in codings(component.valueCodeableConcept) if s == export_codes.MRD_TIME_POINT]
        if points:
            time_point = vocabulary_member(
                MRDTimePoint, points[0], f"{element}.valueCodeableConcept", collector
            )
        elif component.code is not None and component.code.text == EXPORT_MRD_SENSITIVITY_TEXT:
            limit = quantity_fraction(component.valueQuantity, f"{element}.valueQuantity", collector)
    on = full_date(observation.effectiveDateTime)
    value = quantity_fraction(observation.valueQuantity, f"{label}.valueQuantity", collector)
    if time_point is None or method is None or on is None or value is None:
        collector.ignore(
            label, "an MRD result is read only with its time point, method, a full date and a valueQuantity"
        )
        return
    collector.add_mrd(label, time_point, method, on, value, limit)
