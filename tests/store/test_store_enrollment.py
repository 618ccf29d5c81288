"""Enrollment through the store: screened on the stored rows, refused unless eligible, then stratified."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.store.helpers import NCT, World, attestations_of, example

from remission.protocols import load_protocol
from remission.store import events
from remission.store.actor import AccessDenied
from remission.store.enrollment import enroll_patient
from remission.store.errors import Refused
from remission.store.models import Enrollment, MRDMeasurement, RiskAssignment
from remission.store.vocabulary import Role

#: INF-02's MRD after consolidation 1: 9e-5 at sensitivity 1e-5 is negative (below 1e-4) -> IR.
MRD_NEGATIVE = {
    "time_point": "after consolidation 1",
    "method": "KMT2A-fusion qPCR",
    "sample_date": date(2025, 6, 2),
    "value_fraction": 9e-5,
    "sensitivity_fraction": 1e-5,
}


def entry_date(record: dict[str, Any]) -> date:
    return date.fromisoformat(record["study_entry_date"])


def enroll(
    world: World, patient_id: int, record: dict[str, Any], *, attest: bool = True, site: str = "SNU"
) -> Enrollment:
    """Enroll as an investigator of ``site`` on the record's study entry date."""
    with world.session(world.actor(Role.INVESTIGATOR, site)) as session:
        return enroll_patient(
            session,
            patient_id=patient_id,
            protocol_id=NCT,
            enrolled_on=entry_date(record),
            attestations=attestations_of(record) if attest else (),
        )


def assignments(world: World, patient_id: int) -> list[tuple[str, str | None]]:
    with world.session(world.system) as session:
        rows = session.scalars(
            select(RiskAssignment).where(RiskAssignment.patient_id == patient_id).order_by(RiskAssignment.id)
        )
        return [(row.risk_group, row.arm) for row in rows]


def counts(world: World) -> tuple[int, int, int]:
    """Enrollments, risk assignments and audit entries stored."""
    with world.store.engine.connect() as connection:
        return (
            connection.scalar(select(func.count()).select_from(Enrollment)) or 0,
            connection.scalar(select(func.count()).select_from(RiskAssignment)) or 0,
            world.audit_count(),
        )


@pytest.fixture
def inf02(world: World) -> int:
    """INF-02 registered at SNU with its consent, not yet enrolled."""
    return world.register("INF-02", "SNU", record=example("INF-02"))


class TestEnrollment:
    def test_eligible_patient_is_enrolled_with_screening(self, world: World, inf02: int):
        """INF-02 with its attestation is eligible; verdict, protocol version and screening are stored."""
        record = example("INF-02")
        investigator = world.actor(Role.INVESTIGATOR, "SNU")
        enrollment = enroll(world, inf02, record)
        with world.session(world.system) as session:
            stored = session.get(Enrollment, enrollment.id)
            assert (stored.patient_id, stored.site_id, stored.protocol_id) == (inf02, world.snu, NCT)
            assert stored.protocol_version == load_protocol(NCT).version
            assert (stored.verdict, stored.enrolled_on, stored.enrolled_by) == (
                "eligible",
                entry_date(record),
                investigator.username,
            )
            assert stored.screening["verdict"] == "eligible"
            assert stored.screening["study_id"] == "INF-02"
            assert stored.screening["protocol"] == {"id": NCT, "version": load_protocol(NCT).version}
            assert (stored.screening["failing"], stored.screening["unresolved"]) == ([], [])
            assert stored.screening["screened_on"] == record["study_entry_date"]

    @pytest.mark.parametrize(
        ("study_id", "failing"), [("INF-12", "excl-syndromes"), ("INF-10", "incl-consent")]
    )
    def test_not_eligible_is_refused_and_nothing_written(self, world: World, study_id: str, failing: str):
        """A not-eligible child (Down syndrome; late consent) is refused on 'verdict'; nothing is written."""
        record = example(study_id)
        patient_id = world.register(study_id, "SEV", record=record)
        world.actor(Role.INVESTIGATOR, "SEV")
        before = counts(world)
        with pytest.raises(Refused) as raised:
            enroll(world, patient_id, record, site="SEV")
        assert raised.value.field == "verdict"
        assert raised.value.detail["verdict"] == "not eligible"
        assert failing in raised.value.detail["failing"]
        assert counts(world) == before
        assert before[:2] == (0, 0)

    def test_needs_review_without_attestation_is_refused(self, world: World, inf02: int):
        """Without the contraindication attestation INF-02 needs review and is refused on 'attestations'."""
        world.actor(Role.INVESTIGATOR, "SNU")
        before = counts(world)
        with pytest.raises(Refused) as raised:
            enroll(world, inf02, example("INF-02"), attest=False)
        assert raised.value.field == "attestations"
        assert raised.value.detail["verdict"] == "needs review"
        assert raised.value.detail["unresolved"] == ["excl-contraindication"]
        assert counts(world) == before

    def test_enrolling_twice_is_refused(self, world: World, inf02: int):
        """A second enrollment in the same protocol is refused on 'protocol_id' and adds nothing."""
        enroll(world, inf02, example("INF-02"))
        before = counts(world)
        with pytest.raises(Refused) as raised:
            enroll(world, inf02, example("INF-02"))
        assert raised.value.field == "protocol_id"
        assert counts(world) == before
        assert before[0] == 1

    def test_read_only_roles_cannot_enroll(self, world: World, inf02: int):
        """A monitor, who reads every site, may not enroll a patient."""
        with pytest.raises(AccessDenied), world.session(world.actor(Role.MONITOR)) as session:
            enroll_patient(
                session,
                patient_id=inf02,
                protocol_id=NCT,
                enrolled_on=date(2025, 3, 26),
                attestations=attestations_of(example("INF-02")),
            )
        assert counts(world)[:2] == (0, 0)


class TestRestratification:
    def test_pending_at_enrollment(self, world: World, inf02: int):
        """Enrollment stores a 'pending' risk assignment under the protocol's version."""
        enroll(world, inf02, example("INF-02"))
        with world.session(world.system) as session:
            (row,) = session.scalars(select(RiskAssignment).where(RiskAssignment.patient_id == inf02))
            assert (row.risk_group, row.arm, row.protocol_id) == ("pending", None, NCT)
            assert row.protocol_version == load_protocol(NCT).version
            assert row.result["risk_group"] == "pending"
            assert row.site_id == world.snu

    def test_mrd_results_restratify(self, world: World, inf02: int):
        """Adding, changing and deleting the MRD result each store the group that follows from it."""
        enroll(world, inf02, example("INF-02"))
        investigator = world.actor(Role.INVESTIGATOR, "SNU")
        with world.session(investigator) as session:
            mrd = events.create_row(session, model=MRDMeasurement, patient_id=inf02, values=MRD_NEGATIVE)
        assert assignments(world, inf02) == [("pending", None), ("IR", "IR-arm")]
        with world.session(investigator, reason="corrected value from the lab") as session:
            mrd = events.update_row(
                session,
                model=MRDMeasurement,
                patient_id=inf02,
                row_id=mrd.id,
                version=1,
                values={"value_fraction": 1e-3},
            )
        assert assignments(world, inf02)[-1] == ("HR", "HR-arm")
        with world.session(investigator, reason="sample mix-up") as session:
            events.delete_row(
                session, model=MRDMeasurement, patient_id=inf02, row_id=mrd.id, version=mrd.version
            )
        assert assignments(world, inf02) == [
            ("pending", None),
            ("IR", "IR-arm"),
            ("HR", "HR-arm"),
            ("pending", None),
        ]

    def test_positive_mrd_gives_high_risk(self, world: World, inf02: int):
        """A positive MRD after consolidation 1 (1e-3) stratifies INF-02 as HR straight away."""
        enroll(world, inf02, example("INF-02"))
        with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
            events.create_row(
                session,
                model=MRDMeasurement,
                patient_id=inf02,
                values={**MRD_NEGATIVE, "value_fraction": 1e-3},
            )
        assert assignments(world, inf02) == [("pending", None), ("HR", "HR-arm")]

    def test_unchanged_group_adds_no_assignment(self, world: World, inf02: int):
        """A change that leaves the risk group as it was stores no new assignment."""
        enroll(world, inf02, example("INF-02"))
        investigator = world.actor(Role.INVESTIGATOR, "SNU")
        with world.session(investigator) as session:
            mrd = events.create_row(session, model=MRDMeasurement, patient_id=inf02, values=MRD_NEGATIVE)
        with world.session(investigator, reason="typo in the date") as session:
            events.update_row(
                session,
                model=MRDMeasurement,
                patient_id=inf02,
                row_id=mrd.id,
                version=1,
                values={"sample_date": date(2025, 6, 3)},
            )
        assert assignments(world, inf02) == [("pending", None), ("IR", "IR-arm")]

    def test_mrd_of_unenrolled_patient_assigns_nothing(self, world: World, inf02: int):
        """MRD results of a patient not enrolled in any protocol store no risk assignment."""
        with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
            events.create_row(session, model=MRDMeasurement, patient_id=inf02, values=MRD_NEGATIVE)
        assert assignments(world, inf02) == []
