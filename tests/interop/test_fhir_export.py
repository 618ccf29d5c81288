"""The FHIR R4B export: per patient a Bundle of resources the R4B models accept, pseudonymous by
role, codes and units as documented, missing data as dataAbsentReason, reproducible ids."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from tests.documents.casebook_world import STUDY_ID, build
from tests.store.helpers import World, example
from tests.support.cli import run_cli
from tests.support.cli_study import cli_study

from remission.demo import load_synthetic, synthetic_cohort
from remission.demo.consent import register_consent_versions
from remission.interop import fhir_codes as codes
from remission.interop.fhir_export import export_fhir, patient_bundle
from remission.interop.fhir_import import import_bundle
from remission.protocols import load_protocol
from remission.store import (
    STUDY_EXPORT_ENTITY,
    Actor,
    AnthracyclineDose,
    AuditAction,
    Casebook,
    Delivery,
    MRDMeasurement,
    Store,
    events,
    read_audit,
    read_casebook,
    read_record,
)
from remission.store.vocabulary import Role

ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def casebook_of(world: World, actor: Actor, study_id: str = STUDY_ID) -> Casebook:
    return read_casebook(world.store, actor=actor, deliver=lambda _: Delivery("fhir"), study_id=study_id)


def of_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def add_mrd(world: World, patient_id: int, **values: Any) -> None:
    row = {"time_point": "end of induction", "method": "flow cytometry", "sample_date": date(2025, 5, 1)}
    with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
        events.create_row(session, model=MRDMeasurement, patient_id=patient_id, values=row | values)


@ON_SQLITE
class TestBundle:
    def test_every_resource_validates_with_the_r4b_models(self, world: World) -> None:
        """The Bundle and each entry parse with fhir.resources' R4B models; fullUrls are urn:uuid ids."""
        scenario = build(world)
        add_mrd(world, scenario.patient_id, value_fraction=0.0002, sensitivity_fraction=0.0001)
        dose = {"drug": "doxorubicin", "dose_mg_per_m2": 25.0, "date": date(2025, 4, 2), "dexrazoxane": True}
        with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
            events.create_row(session, model=AnthracyclineDose, patient_id=scenario.patient_id, values=dose)
        bundle = patient_bundle(casebook_of(world, world.system))
        parsed = Bundle.model_validate(bundle)
        given = of_type(bundle, "MedicationAdministration")
        assert [m["medicationCodeableConcept"]["text"] for m in given] == ["doxorubicin", "dexrazoxane"]
        assert given[0]["medicationCodeableConcept"]["coding"][0]["code"] == "3639"
        assert given[0]["dosage"]["dose"] == {
            "value": 25.0,
            "unit": "mg/m2",
            "system": codes.UCUM,
            "code": "mg/m2",
        }
        assert parsed.type == "collection"
        kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
        assert {
            "Patient",
            "ResearchStudy",
            "ResearchSubject",
            "Condition",
            "Observation",
            "AdverseEvent",
        } <= kinds
        for entry in bundle["entry"]:
            assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"

    def test_re_export_is_identical(self, world: World) -> None:
        """The same casebook gives the same Bundle (ids derived from the study id and the row)."""
        build(world)
        first = patient_bundle(casebook_of(world, world.system))
        assert patient_bundle(casebook_of(world, world.system)) == first

    def test_mrd_is_a_fraction_with_method_and_sensitivity(self, world: World) -> None:
        """MRD 2×10⁻⁴ is 0.0002 in UCUM 1, method under remission's MRD method system."""
        scenario = build(world)
        add_mrd(world, scenario.patient_id, value_fraction=0.0002, sensitivity_fraction=0.0001)
        (mrd,) = [
            o
            for o in of_type(patient_bundle(casebook_of(world, world.system)), "Observation")
            if o["code"]["text"] == "Minimal residual disease"
        ]
        assert mrd["valueQuantity"] == {"value": 0.0002, "unit": "1", "system": codes.UCUM, "code": "1"}
        assert mrd["method"]["coding"][0] == {
            "system": codes.MRD_METHOD,
            "code": "flow cytometry",
            "display": "flow cytometry",
        }
        sensitivity = [c for c in mrd["component"] if c["code"]["text"] == "MRD assay sensitivity"]
        assert sensitivity[0]["valueQuantity"]["value"] == 0.0001

    def test_a_missing_wbc_has_a_data_absent_reason_not_a_value(self, world: World) -> None:
        """A record without the WBC gives the WBC Observation no value and dataAbsentReason unknown."""
        record = example("INF-01")
        record.pop("wbc_at_diagnosis_1e9_per_l", None)
        world.register("INF-01", "SEV", record=record)
        (wbc,) = [
            o
            for o in of_type(patient_bundle(casebook_of(world, world.system, "INF-01")), "Observation")
            if o["code"]["text"] == "WBC at diagnosis"
        ]
        assert "valueQuantity" not in wbc
        assert wbc["dataAbsentReason"]["coding"][0]["code"] == "unknown"
        assert wbc["code"]["coding"][0]["code"] == codes.WBC.code

    def test_positive_not_quantifiable_mrd_is_text_not_a_number(self, world: World) -> None:
        scenario = build(world)
        add_mrd(world, scenario.patient_id, positive_not_quantifiable=True)
        (mrd,) = [
            o
            for o in of_type(patient_bundle(casebook_of(world, world.system)), "Observation")
            if o["code"]["text"] == "Minimal residual disease"
        ]
        assert "valueQuantity" not in mrd
        assert mrd["valueCodeableConcept"]["text"] == "positive, not quantifiable"

    def test_the_adverse_event_carries_term_grade_and_terminology(self, world: World) -> None:
        build(world)
        (event,) = of_type(patient_bundle(casebook_of(world, world.system)), "AdverseEvent")
        assert event["event"]["text"] == "Febrile neutropenia"
        extensions = {e["url"]: e for e in event["extension"]}
        assert extensions[codes.CTCAE_GRADE_EXTENSION]["valueInteger"] == 3
        assert extensions[codes.AE_TERMINOLOGY_EXTENSION]["valueString"] == "CTCAE v5.0"


@ON_SQLITE
class TestPseudonymisation:
    def test_the_site_sees_the_birth_date_others_only_its_month(self, world: World) -> None:
        """A coordinator of the patient's site gets the full date; a monitor (all sites) year-month."""
        build(world)
        (own,) = of_type(patient_bundle(casebook_of(world, world.actor(Role.COORDINATOR, "SNU"))), "Patient")
        (other,) = of_type(patient_bundle(casebook_of(world, world.actor(Role.MONITOR))), "Patient")
        assert len(own["birthDate"]) == 10
        assert other["birthDate"] == own["birthDate"][:7]
        assert other["identifier"] == [{"system": codes.STUDY_ID_SYSTEM, "value": STUDY_ID}]
        assert "name" not in other
        assert "name" not in own


@ON_SQLITE
class TestExport:
    def test_one_file_per_readable_patient_audited_once(self, world: World, tmp_path: Path) -> None:
        """A coordinator of SNU exports SNU's patient only; one export entry names fhir."""
        build(world)
        world.register("INF-01", "SEV")
        out = tmp_path / "fhir"
        summary = export_fhir(world.store, actor=world.actor(Role.COORDINATOR, "SNU"), out=out)
        assert (summary.patients, summary.files) == (1, 1)
        assert [p.name for p in out.iterdir()] == [f"{STUDY_ID}.json"]
        Bundle.model_validate(json.loads((out / f"{STUDY_ID}.json").read_text()))
        with world.session(world.system) as session:
            (entry,) = read_audit(session, entity=STUDY_EXPORT_ENTITY, action=AuditAction.EXPORT)
        assert "format=fhir patients=1" in str(entry["new_value"])


class TestCommand:
    def test_export_writes_the_directory_and_refuses_an_existing_one(self, tmp_path: Path) -> None:
        """``remission export --format fhir --out DIR`` writes DIR; again without --overwrite exits 2."""
        url = cli_study(tmp_path, baseline={"wbc_at_diagnosis_1e9_per_l": 120.0})
        out = tmp_path / "fhir"
        done = run_cli("export", "--format", "fhir", "--out", str(out), "--database", url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        bundle = json.loads((out / "CLI-01.json").read_text())
        (wbc,) = [o for o in of_type(bundle, "Observation") if o["code"]["text"] == "WBC at diagnosis"]
        assert wbc["valueQuantity"]["value"] == 120.0
        again = run_cli("export", "--format", "fhir", "--out", str(out), "--database", url, cwd=tmp_path)
        assert again.returncode == 2
        assert "--overwrite" in again.stderr


@ON_SQLITE
def test_every_resource_of_the_demo_study_validates(store: Store, tmp_path: Path) -> None:
    """The synthetic demo cohort (12 children, three sites) exports; every Bundle and entry parses as R4B."""
    register_consent_versions(store, Actor.for_system("test"))
    load_synthetic(store, synthetic_cohort(size=12, seed=3))
    summary = export_fhir(store, actor=Actor.for_system("test"), out=tmp_path / "fhir")
    assert summary.patients == 12
    kinds: set[str] = set()
    for path in sorted((tmp_path / "fhir").iterdir()):
        bundle = Bundle.model_validate(json.loads(path.read_text()))
        kinds |= {entry.resource.get_resource_type() for entry in bundle.entry}
    assert kinds == {
        "Patient",
        "ResearchStudy",
        "Group",
        "ResearchSubject",
        "Consent",
        "Condition",
        "Observation",
        "AdverseEvent",
        "Procedure",
    }


@ON_SQLITE
class TestStudyAndRoundTrip:
    def test_the_study_refers_to_its_eligibility_group_one_characteristic_per_criterion(
        self, world: World
    ) -> None:
        """ResearchStudy.enrollment names a definitional Group holding every criterion's text,
        exclusions marked ``exclude``."""
        build(world)
        bundle = patient_bundle(casebook_of(world, world.system))
        (research,) = of_type(bundle, "ResearchStudy")
        (group,) = of_type(bundle, "Group")
        assert research["enrollment"] == [{"reference": f"urn:uuid:{group['id']}"}]
        assert group["actual"] is False
        protocol = load_protocol("NCT06516679")
        assert protocol.eligibility is not None
        assert [c["code"]["text"] for c in group["characteristic"]] == [
            f"{criterion.id}: {criterion.text}" for criterion in protocol.eligibility
        ]
        assert [c["exclude"] for c in group["characteristic"]] == [
            criterion.kind.value == "exclusion" for criterion in protocol.eligibility
        ]

    def test_what_the_export_writes_the_import_reads_back(self, world: World) -> None:
        """A Bundle of the export, imported as an EHR's would be, gives back the diagnosis (with its
        lineage), the WBC in its unit, the sex and the birth date."""
        scenario = build(world)
        bundle = patient_bundle(casebook_of(world, world.actor(Role.COORDINATOR, "SNU")))
        imported = import_bundle(bundle, today=date(2026, 12, 1), protocol_id="NCT06516679")
        with world.session(world.system) as session:
            stored = read_record(session, patient_id=scenario.patient_id)
        record = imported.record
        assert record.diagnosis.who_type == stored.diagnosis.who_type
        assert record.diagnosis.who_type is not None
        assert record.wbc_at_diagnosis_1e9_per_l == stored.wbc_at_diagnosis_1e9_per_l
        assert record.patient.sex == stored.patient.sex
        assert record.patient.date_of_birth == stored.patient.date_of_birth
