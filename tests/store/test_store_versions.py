"""Optimistic concurrency: every write names the version it read; stale writes are refused."""

from __future__ import annotations

from datetime import date

import pytest
from tests.store.helpers import TODAY, World

from remission.store import events, patients
from remission.store.errors import VersionConflict
from remission.store.models import AdverseEvent, Patient
from remission.store.vocabulary import Role

AE = {
    "term": "Mucositis oral",
    "grade": 2,
    "onset_date": date(2025, 2, 1),
    "serious": False,
    "attribution": "probable",
}


@pytest.fixture
def ae(world: World) -> tuple[int, int]:
    """A SEV patient with one adverse event: (patient id, row id)."""
    patient_id = world.register("P-1", "SEV")
    with world.session(world.actor(Role.COORDINATOR, "SEV")) as session:
        return patient_id, events.create_row(session, model=AdverseEvent, patient_id=patient_id, values=AE).id


def regrade(world: World, ids: tuple[int, int], *, version: int, grade: int) -> int:
    """Update the grade at ``version``; return the new version."""
    with world.session(world.actor(Role.COORDINATOR, "SEV"), reason="review") as session:
        row = events.update_row(
            session,
            model=AdverseEvent,
            patient_id=ids[0],
            row_id=ids[1],
            version=version,
            values={"grade": grade},
        )
        return row.version


def race_rows(world: World, ids: tuple[int, int]) -> None:
    """Two sessions read the row at version 1; the inner one commits grade 3, then the outer writes 4.

    The outer session keeps the row it read (as a request does between reading and writing),
    so its write is made against version 1 although version 2 has been committed meanwhile.
    """
    actor = world.actor(Role.COORDINATOR, "SEV")
    with world.session(actor, reason="late") as late:
        read = events.get_row(late, model=AdverseEvent, patient_id=ids[0], row_id=ids[1])
        assert read.version == 1
        with world.session(actor, reason="early") as early:
            events.update_row(
                early, model=AdverseEvent, patient_id=ids[0], row_id=ids[1], version=1, values={"grade": 3}
            )
        events.update_row(
            late, model=AdverseEvent, patient_id=ids[0], row_id=ids[1], version=1, values={"grade": 4}
        )


def race_patients(world: World, patient_id: int) -> None:
    """As :func:`race_rows`, for a patient: the inner session commits sex 'male' first."""
    actor = world.actor(Role.COORDINATOR, "SEV")
    with world.session(actor, reason="late") as late:
        read = patients.get_patient(late, patient_id=patient_id)
        assert read.version == 1
        with world.session(actor, reason="early") as early:
            patients.update_patient(
                early, patient_id=patient_id, version=1, changes={"sex": "male"}, today=TODAY
            )
        patients.update_patient(late, patient_id=patient_id, version=1, changes={"sex": "other"}, today=TODAY)


def stored(world: World, row_id: int) -> AdverseEvent:
    with world.session(world.system) as session:
        return session.get(AdverseEvent, row_id)


class TestVersions:
    def test_each_write_adds_one(self, world: World, ae: tuple[int, int]):
        """A new row has version 1 and every successful update increases it by exactly one."""
        assert stored(world, ae[1]).version == 1
        assert [regrade(world, ae, version=v, grade=g) for v, g in ((1, 3), (2, 4), (3, 2))] == [2, 3, 4]
        row = stored(world, ae[1])
        assert (row.version, row.grade) == (4, 2)

    def test_stale_update_carries_current_version(self, world: World, ae: tuple[int, int]):
        """update_row with a version that is no longer current raises VersionConflict with the current one."""
        regrade(world, ae, version=1, grade=3)
        with pytest.raises(VersionConflict) as raised:
            regrade(world, ae, version=1, grade=4)
        assert (raised.value.entity, raised.value.key, raised.value.current_version) == (
            "adverse_events",
            ae[1],
            2,
        )
        row = stored(world, ae[1])
        assert (row.version, row.grade) == (2, 3)

    def test_stale_delete_is_refused(self, world: World, ae: tuple[int, int]):
        """delete_row with a stale version raises VersionConflict and keeps the row."""
        regrade(world, ae, version=1, grade=3)
        with (
            pytest.raises(VersionConflict) as raised,
            world.session(world.actor(Role.COORDINATOR, "SEV"), reason="duplicate") as session,
        ):
            events.delete_row(session, model=AdverseEvent, patient_id=ae[0], row_id=ae[1], version=1)
        assert raised.value.current_version == 2
        assert stored(world, ae[1]) is not None

    def test_second_of_two_concurrent_writers_conflicts(self, world: World, ae: tuple[int, int]):
        """Two sessions read version 1; the first write wins and the second raises VersionConflict."""
        with pytest.raises(VersionConflict):
            race_rows(world, ae)
        row = stored(world, ae[1])
        assert (row.version, row.grade) == (2, 3)

    def test_lost_race_reports_the_winning_version(self, world: World, ae: tuple[int, int]):
        """The VersionConflict of a lost race carries the version that won, as a stale read does."""
        with pytest.raises(VersionConflict) as raised:
            race_rows(world, ae)
        assert raised.value.current_version == 2


class TestPatientVersions:
    def test_stale_patient_update_conflicts(self, world: World):
        """update_patient with a stale version raises VersionConflict carrying the current version."""
        patient_id = world.register("P-1", "SEV")
        actor = world.actor(Role.COORDINATOR, "SEV")
        with world.session(actor, reason="typo") as session:
            patient = patients.update_patient(
                session, patient_id=patient_id, version=1, changes={"sex": "male"}, today=TODAY
            )
            assert patient.version == 2
        with (
            pytest.raises(VersionConflict) as raised,
            world.session(actor, reason="typo") as session,
        ):
            patients.update_patient(
                session, patient_id=patient_id, version=1, changes={"sex": "female"}, today=TODAY
            )
        assert (raised.value.entity, raised.value.current_version) == ("patients", 2)
        with world.session(world.system) as session:
            assert session.get(Patient, patient_id).sex == "male"

    def test_concurrent_patient_update_conflicts(self, world: World):
        """Of two sessions updating the same patient from version 1, the second gets VersionConflict."""
        patient_id = world.register("P-1", "SEV")
        with pytest.raises(VersionConflict):
            race_patients(world, patient_id)
        with world.session(world.system) as session:
            assert session.get(Patient, patient_id).sex == "male"
