"""The HL7 FHIR R4B export: per patient one ``Bundle`` (type ``collection``) of validated resources.

:func:`patient_bundle` turns one :class:`remission.store.Casebook` into the Bundle's JSON, each
resource checked by its ``fhir.resources.R4B`` model; :func:`export_fhir` writes one
``<study_id>.json`` per readable patient into a directory, streaming the casebooks
(:func:`remission.store.read_study_casebooks`: site-scoped, one ``export`` audit entry), all or
nothing (:func:`remission.interop.output.directory_output`). Ids are UUIDs derived from the study id
and the row, so a re-export is byte-for-byte reproducible. See docs/interop.md §2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from remission.interop import fhir_clinical as clinical
from remission.interop import fhir_study as study
from remission.interop.fhir_casebook import Form, forms, full_url, one_form, stable_id
from remission.interop.output import ExportSummary, Progress, directory_output, no_progress
from remission.protocols import Protocol, ProtocolError, load_protocol
from remission.store import Actor, Casebook, Delivery, Store, StudyCasebooks, read_study_casebooks

FORMAT = "fhir"
#: The media type of a FHIR JSON document (FHIR R4B http.html).
MEDIA_TYPE = "application/fhir+json"
FHIR_VERSION = "4.3.0"


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """``resource`` after its R4B model accepted it, as the model writes it (a model error is a bug)."""
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    shown: dict[str, Any] = json.loads(model.model_dump_json(exclude_none=True))
    return shown


def _protocol(protocol_id: str) -> Protocol | None:
    try:
        return load_protocol(protocol_id)
    except ProtocolError:
        return None  # a study protocol not shipped with this install: the study is named only


def _study_resources(casebook: Casebook) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The ResearchStudy of each (protocol, version) of the casebook, by protocol id, and the
    eligibility Groups they refer to."""
    found: dict[str, dict[str, Any]] = {}
    groups: list[dict[str, Any]] = []
    for protocol_id, version in casebook.protocols:
        if protocol_id in found:
            continue
        protocol = _protocol(protocol_id)
        if protocol is not None:
            group = study.eligibility_group(protocol, version)
            if group is not None:
                groups.append(group)
            reference = full_url(group["id"]) if group is not None else None
            found[protocol_id] = study.research_study(protocol, version, reference)
        else:
            found[protocol_id] = {
                "resourceType": "ResearchStudy",
                "id": study.study_id_of(protocol_id, version),
                "identifier": [
                    {"system": study.codes.PROTOCOL_ID_SYSTEM, "value": f"{protocol_id}|{version}"}
                ],
                "status": "active",
            }
    return found, groups


def _arms(casebook: Casebook) -> dict[str, str]:
    """The latest assigned arm per protocol (risk assignments in entry order)."""
    arms: dict[str, str] = {}
    for row in forms(casebook, "risk-assignments"):
        arm = row.value("arm")
        if arm:
            arms[str(row.value("protocol_id"))] = str(arm)
    return arms


def patient_resources(casebook: Casebook) -> list[dict[str, Any]]:
    """Every resource of the patient's Bundle, validated, in a fixed order."""
    sid = casebook.study_id
    deaths = forms(casebook, "deaths")
    patient = study.patient(casebook, one_form(casebook, "patient"), deaths[0] if deaths else None)
    patient_ref = full_url(patient["id"])
    studies, eligibility = _study_resources(casebook)
    study_refs = [full_url(resource["id"]) for resource in studies.values()]
    consents = [study.consent(casebook, row, patient_ref) for row in forms(casebook, "consents")]
    consent_refs = [full_url(resource["id"]) for resource in consents]
    subjects = [
        study.research_subject(
            casebook,
            row,
            _arms(casebook),
            full_url(studies[str(row.value("protocol_id"))]["id"]),
            patient_ref,
            consent_refs,
        )
        for row in forms(casebook, "enrollments")
        if str(row.value("protocol_id")) in studies
    ]
    baseline = one_form(casebook, "baseline")
    rows: Callable[[str], list[Form]] = lambda form: forms(casebook, form)  # noqa: E731
    resources = [
        patient,
        *studies.values(),
        *eligibility,
        *subjects,
        *consents,
        clinical.condition(sid, baseline, patient_ref),
        clinical.wbc(sid, baseline, patient_ref),
        clinical.cns_status(sid, baseline, patient_ref),
        clinical.kmt2a(sid, baseline, patient_ref),
        *clinical.fusions(sid, baseline, patient_ref),
        *(clinical.mrd(sid, row, patient_ref) for row in rows("mrd")),
        *(clinical.adverse_event(sid, row, patient_ref, study_refs) for row in rows("adverse-events")),
        *(
            dose
            for row in rows("anthracycline-doses")
            for dose in clinical.anthracycline(sid, row, patient_ref)
        ),
        *(clinical.transplant(sid, row, patient_ref) for row in rows("transplants")),
    ]
    return [validated(resource) for resource in resources]


def patient_bundle(casebook: Casebook) -> dict[str, Any]:
    """The patient's Bundle (type collection) as FHIR JSON, validated as a whole by the R4B model."""
    entries = [
        {"fullUrl": full_url(resource["id"]), "resource": resource}
        for resource in patient_resources(casebook)
    ]
    bundle = {
        "resourceType": "Bundle",
        "id": stable_id(casebook.study_id, "bundle"),
        "meta": {"tag": [{"system": study.codes.REMISSION_BASE, "code": f"fhir-{FHIR_VERSION}"}]},
        "type": "collection",
        "entry": entries,
    }
    return validated(bundle)


def bundle_text(casebook: Casebook) -> str:
    """The Bundle as JSON text: sorted keys, so the same casebook gives the same bytes."""
    return json.dumps(patient_bundle(casebook), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_fhir(
    store: Store,
    *,
    actor: Actor,
    out: Path | str,
    overwrite: bool = False,
    site_code: str | None = None,
    progress: Progress = no_progress,
) -> ExportSummary:
    """Write one ``<study_id>.json`` Bundle per patient the actor may read into the directory ``out``.

    Streams one patient at a time; the directory appears whole or not at all; one ``export`` audit
    entry names the format, the patients and the directory.
    """
    target = Path(out)
    written = 0

    def deliver(casebooks: StudyCasebooks) -> Delivery:
        nonlocal written
        with directory_output(target, overwrite=overwrite) as folder:
            for casebook in casebooks:
                (folder / f"{casebook.study_id}.json").write_text(bundle_text(casebook), encoding="utf-8")
                written += 1
                progress(written, casebooks.total)
        return Delivery(FORMAT, target)

    read_study_casebooks(store, actor=actor, deliver=deliver, site_code=site_code)
    return ExportSummary(path=target, format=FORMAT, patients=written, files=written)
