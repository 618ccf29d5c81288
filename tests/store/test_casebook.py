"""Reading a casebook in the store: site-isolated, disclosed by role, and audited as one export."""

from __future__ import annotations

import pytest
from tests.store.helpers import AE, World, example

from remission.store import (
    WITHHELD,
    AuditAction,
    Casebook,
    Delivery,
    NotFound,
    events,
    read_audit,
    read_casebook,
)
from remission.store.models import AdverseEvent
from remission.store.vocabulary import Role


def patient(world: World) -> int:
    """INF-01 at SEV with one adverse event."""
    patient_id = world.register("INF-01", "SEV")
    with world.session(world.system) as session:
        events.create_row(session, model=AdverseEvent, patient_id=patient_id, values=dict(AE))
    return patient_id


def exports(world: World, patient_id: int) -> list[dict[str, object]]:
    with world.session(world.system) as session:
        entries = read_audit(session, entity="patients", entity_id=patient_id, action=AuditAction.EXPORT)
    return entries


def read(world: World, role: Role, site: str | None, patient_id: int) -> Casebook:
    return read_casebook(
        world.store, actor=world.actor(role, site), deliver=lambda _: Delivery("pdf"), patient_id=patient_id
    )


class TestIsolation:
    def test_another_sites_patient_is_not_found_and_nothing_is_logged(self, world: World) -> None:
        """An SNU coordinator asking for a SEV casebook gets NotFound, and no export entry is written."""
        patient_id = patient(world)
        with pytest.raises(NotFound):
            read(world, Role.COORDINATOR, "SNU", patient_id)
        assert exports(world, patient_id) == []

    def test_an_unknown_study_id_is_not_found(self, world: World) -> None:
        """A study id no one has is NotFound, as another site's is."""
        with pytest.raises(NotFound):
            read_casebook(world.store, actor=world.system, deliver=lambda _: Delivery("pdf"), study_id="NOPE")


class TestAudit:
    def test_a_casebook_is_logged_once_as_an_export_of_the_patient(self, world: World) -> None:
        """Generating a casebook writes one export entry on the patient, naming the casebook and format."""
        patient_id = patient(world)
        read(world, Role.COORDINATOR, "SEV", patient_id)
        (entry,) = exports(world, patient_id)
        assert entry["username"] == "coordinator-sev"
        assert "casebook of INF-01 format=pdf" in entry["new_value"]
        assert "audit appendix withheld" in entry["new_value"]

    def test_a_failed_delivery_logs_nothing(self, world: World) -> None:
        """When rendering fails, no export entry is written."""
        patient_id = patient(world)

        def fail(casebook: Casebook) -> Delivery:
            raise RuntimeError("disk full")

        with pytest.raises(RuntimeError):
            read_casebook(world.store, actor=world.system, deliver=fail, patient_id=patient_id)
        assert exports(world, patient_id) == []

    def test_the_appendix_holds_the_patients_entries_for_audit_readers(self, world: World) -> None:
        """A monitor's casebook carries the patient's trail in chain order, the adverse event's too."""
        patient_id = patient(world)
        casebook = read(world, Role.MONITOR, None, patient_id)
        assert casebook.audit is not None
        seqs = [entry["seq"] for entry in casebook.audit]
        assert seqs == sorted(seqs)
        assert {entry["entity"] for entry in casebook.audit} >= {"patients", "adverse_events"}


class TestDisclosure:
    def test_a_statistician_gets_no_date_of_birth_and_no_audit_trail(self, world: World) -> None:
        """A study role sees the date of birth withheld and the appendix withheld, with the reason."""
        casebook = read(world, Role.STATISTICIAN, None, patient(world))
        fields = {f.name: f.value for f in casebook.forms[0].fields}
        assert fields["date_of_birth"] == WITHHELD
        assert casebook.identifiers_shown is False
        assert casebook.audit is None
        assert "only administrators, data managers and monitors" in casebook.audit_note

    def test_a_site_role_gets_the_date_of_birth(self, world: World) -> None:
        """A coordinator of the patient's site sees the date of birth."""
        casebook = read(world, Role.COORDINATOR, "SEV", patient(world))
        fields = {f.name: f.value for f in casebook.forms[0].fields}
        assert str(fields["date_of_birth"]) == example("INF-01")["patient"]["date_of_birth"]
        assert casebook.identifiers_shown is True

    def test_every_course_row_is_a_form(self, world: World) -> None:
        """The casebook's forms are the patient, the baseline, then each stored row (the consent, the AE)."""
        casebook = read(world, Role.DATA_MANAGER, None, patient(world))
        assert [form.key for form in casebook.forms] == [
            "patient",
            "baseline",
            "consents#1",
            "adverse-events#1",
        ]
