"""The current risk group has one definition, and every reader of it agrees (SQLite and PostgreSQL).

A child enrolled under two protocols is where the former definitions parted: the patient list
took the newest assignment of any protocol, the endpoint dataset the newest under the first
enrollment. The store's definition is the latter, and the list, the chart, the endpoint
dataset and the dashboard dataset must all give it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.store.helpers import TODAY, World

from remission.protocols import PENDING
from remission.store import (
    Enrollment,
    RiskAssignment,
    Role,
    current_assignments,
    current_risk_groups,
    patient_page,
    read_dashboard_dataset,
    read_patient_chart,
)
from remission.store.endpoints import derive_endpoints

NCT = "NCT06516679"
INTERFANT = "INTERFANT-06"


def _enroll(world: World, patient_id: int, protocol_id: str, on: date) -> None:
    with world.session(world.system) as session:
        session.add(
            Enrollment(
                patient_id=patient_id,
                site_id=world.sev,
                protocol_id=protocol_id,
                protocol_version="test",
                enrolled_on=on,
                verdict="eligible",
                screening={},
                enrolled_by="seed",
            )
        )


def _assign(world: World, patient_id: int, protocol_id: str, group: str) -> None:
    with world.session(world.system) as session:
        session.add(
            RiskAssignment(
                patient_id=patient_id,
                site_id=world.sev,
                protocol_id=protocol_id,
                protocol_version="test",
                risk_group=group,
                arm=None,
                provisional_track=None,
                result={},
                assigned_at=datetime.now(UTC),
            )
        )


def _two_protocols(world: World) -> int:
    """A SEV child enrolled in NCT06516679, then INTERFANT-06; the newest assignment is INTERFANT's."""
    patient = world.register("TWO-1", "SEV")
    _enroll(world, patient, NCT, date(2025, 1, 10))
    _assign(world, patient, NCT, "IR")
    _enroll(world, patient, INTERFANT, date(2025, 2, 1))
    _assign(world, patient, NCT, "HR")
    _assign(world, patient, INTERFANT, "MR")
    return patient


class TestDefinition:
    def test_the_first_enrollments_newest_assignment_is_current(self, world: World):
        """With two protocols, the current group is the newest under the first enrollment's protocol."""
        patient = _two_protocols(world)
        with world.session(world.system) as session:
            current = current_risk_groups(session, patient_ids=[patient])
        assert (current[patient].protocol_id, current[patient].risk_group) == (NCT, "HR")
        assert current[patient].primary

    def test_every_protocol_has_its_current_assignment_first_enrollment_first(self, world: World):
        """The per-protocol view lists each enrollment's newest assignment, the first enrollment first."""
        patient = _two_protocols(world)
        with world.session(world.system) as session:
            rows = current_assignments(session, patient_ids=[patient])[patient]
        assert [(row.protocol_id, row.risk_group, row.primary) for row in rows] == [
            (NCT, "HR", True),
            (INTERFANT, "MR", False),
        ]

    def test_the_first_enrollment_is_the_earliest_date_not_the_first_row(self, world: World):
        """An enrollment entered later but dated earlier is the first enrollment."""
        patient = world.register("TWO-2", "SEV")
        _enroll(world, patient, NCT, date(2025, 3, 1))
        _enroll(world, patient, INTERFANT, date(2025, 2, 1))
        _assign(world, patient, NCT, "LR")
        _assign(world, patient, INTERFANT, "MR")
        with world.session(world.system) as session:
            current = current_risk_groups(session, patient_ids=[patient])
        assert (current[patient].protocol_id, current[patient].risk_group) == (INTERFANT, "MR")

    def test_enrolled_without_assignment_is_pending_and_unenrolled_has_none(self, world: World):
        """An enrolled child with no assignment yet is pending; a registered one has no group."""
        enrolled = world.register("PEN-1", "SEV")
        _enroll(world, enrolled, NCT, date(2025, 1, 10))
        registered = world.register("REG-1", "SEV")
        with world.session(world.system) as session:
            current = current_risk_groups(session, patient_ids=[enrolled, registered])
        assert current[enrolled].risk_group == PENDING
        assert current[enrolled].assignment_id is None
        assert registered not in current

    def test_the_data_cut_drops_later_enrollments(self, world: World):
        """With a data cut before every enrollment, the child is not enrolled yet."""
        patient = _two_protocols(world)
        with world.session(world.system) as session:
            assert current_risk_groups(session, patient_ids=[patient], as_of=date(2025, 1, 9)) == {}

    def test_another_sites_coordinator_reads_no_group(self, world: World):
        """Site scope applies inside the query: an SNU coordinator gets nothing for a SEV child."""
        patient = _two_protocols(world)
        with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
            assert current_risk_groups(session, patient_ids=[patient]) == {}
            assert current_assignments(session, patient_ids=[patient]) == {}


class TestEveryReaderAgrees:
    def test_list_chart_dataset_and_dashboard_give_the_same_group(self, world: World):
        """The patient list, the chart, the endpoint dataset and the dashboard dataset agree."""
        patient = _two_protocols(world)
        statistician = world.actor(Role.STATISTICIAN)
        with world.session(statistician) as session:
            rows, _ = patient_page(session, search="TWO-1")
            chart = read_patient_chart(session, patient_id=patient)
            dataset = derive_endpoints(session).to_pylist()
            dashboard = read_dashboard_dataset(session).to_pylist()
        (row,) = rows
        (from_dataset,) = [r for r in dataset if r["patient_key"] == "TWO-1"]
        (from_dashboard,) = [r for r in dashboard if r["patient_key"] == "TWO-1"]
        groups = {
            "list": (row.protocol, row.risk_group),
            "chart": (chart.current_risk[0].protocol_id, chart.current_risk[0].risk_group),
            "dataset": (from_dataset["protocol_id"], from_dataset["risk_group"]),
            "dashboard": (from_dashboard["protocol_id"], from_dashboard["risk_group"]),
        }
        assert set(groups.values()) == {(NCT, "HR")}, groups

    def test_the_chart_shows_the_stored_rows_of_the_current_assignments(self, world: World):
        """The chart's current assignment rows are the newest under each protocol, first enrollment first."""
        patient = _two_protocols(world)
        with world.session(world.system) as session:
            chart = read_patient_chart(session, patient_id=patient)
        assert [(a.protocol_id, a.risk_group) for a in chart.current_assignment_rows] == [
            (NCT, "HR"),
            (INTERFANT, "MR"),
        ]
        assert len(chart.assignments) == 3
        assert chart.record.patient.study_id == "TWO-1"
        assert chart.diagnosed is not None
        assert chart.diagnosed <= TODAY
