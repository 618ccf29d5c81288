"""The record the store assembles carries the attestations stored with enrollments, only where they apply."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from tests.store.helpers import NCT, World, attestations_of, example

from remission.store import read_patient_chart, read_record
from remission.store.enrollment import enroll_patient
from remission.store.models import Enrollment
from remission.store.vocabulary import Role


def _enrolled(world: World) -> int:
    """INF-02 enrolled at SNU with its contraindication attestation."""
    record = example("INF-02")
    patient_id = world.register("INF-02", "SNU", record=record)
    with world.session(world.actor(Role.INVESTIGATOR, "SNU")) as session:
        enroll_patient(
            session,
            patient_id=patient_id,
            protocol_id=NCT,
            enrolled_on=date.fromisoformat(record["study_entry_date"]),
            attestations=attestations_of(record),
        )
    return patient_id


class TestStoredAttestations:
    def test_chart_and_record_carry_the_enrollments_attestation(self, world: World) -> None:
        """After an attested enrollment, the chart's record and read_record hold that attestation."""
        patient_id = _enrolled(world)
        given = attestations_of(example("INF-02"))
        with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
            chart = read_patient_chart(session, patient_id=patient_id)
            record = read_record(session, patient_id=patient_id)
        assert chart.record.attestations == given
        assert record == chart.record

    def test_an_unenrolled_patient_has_no_attestations(self, world: World) -> None:
        """A patient registered from a record with attestations, but not enrolled, has none stored."""
        patient_id = world.register("INF-02", "SNU", record=example("INF-02"))
        with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
            assert read_record(session, patient_id=patient_id).attestations == []

    def test_an_attestation_stored_under_another_criterion_is_not_read(self, world: World) -> None:
        """An attestation naming a criterion other than the one it was stored under is not carried over."""
        patient_id = _enrolled(world)
        with world.session(world.system, reason="test: misfiled attestation") as session:
            enrollment = session.scalars(select(Enrollment).where(Enrollment.patient_id == patient_id)).one()
            screening = dict(enrollment.screening)
            criteria = [dict(c) for c in screening["criteria"]]
            for criterion in criteria:
                if "attestation" in (criterion.get("inputs") or {}):
                    criterion["id"] = "incl-age"
            enrollment.screening = {**screening, "criteria": criteria}
        with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
            assert read_record(session, patient_id=patient_id).attestations == []
