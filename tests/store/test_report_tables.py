"""The report's flow and adverse-event rows (read_report_tables) and the batch of records
(read_cohort_records), on the hand-built cohort of test_endpoints_origins."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from tests.store.test_endpoints_origins import NCT, STATISTICIAN, SYSTEM, add, seed

from remission.protocols import load_protocol, screen_patient
from remission.store import (
    AccessDenied,
    Actor,
    AdverseEvent,
    Patient,
    Role,
    Store,
    read_cohort_records,
    read_record,
    read_report_tables,
)
from remission.store.models import AuditEntry

CUT = date(2026, 11, 21)


def seed_events(store: Store) -> None:
    """A-001 (enrolled): sepsis grades 2 and 4, then grade 5 after 2025; A-002 (not enrolled): grade 3."""
    seed(store)
    with store.session(SYSTEM) as s:
        ids = dict(s.execute(select(Patient.study_id, Patient.id)).all())
        common = {"terminology": "CTCAE v5.0", "serious": True, "attribution": "possible"}
        for key, grade, onset in (
            ("A-001", 2, date(2021, 2, 1)),
            ("A-001", 4, date(2021, 3, 1)),
            ("A-001", 5, date(2022, 10, 1)),
            ("A-002", 3, date(2021, 4, 1)),
        ):
            add(s, AdverseEvent, ids[key], term="Sepsis", grade=grade, onset_date=onset, **common)


class TestFlowRows:
    def test_enrolled_patients_carry_the_stored_verdict_and_the_others_a_screening(self, store):
        """A-001 and A-003 are enrolled (eligible, pending); A-002 and A-004 get screen_patient's verdict."""
        seed_events(store)
        tables = read_report_tables(store, actor=STATISTICIAN, protocol_id=NCT, as_of=CUT)
        rows = {row["patient_key"]: row for row in tables.flow.to_pylist()}
        assert sorted(rows) == ["A-001", "A-002", "A-003", "A-004"]
        for key in ("A-001", "A-003"):
            assert (rows[key]["enrolled"], rows[key]["verdict"], rows[key]["risk_group"]) == (
                True,
                "eligible",
                "pending",
            )
        protocol = load_protocol(NCT)
        with store.session(SYSTEM) as s:
            ids = dict(s.execute(select(Patient.study_id, Patient.id)).all())
            for key in ("A-002", "A-004"):
                result = screen_patient(read_record(s, patient_id=ids[key]), protocol, as_of=CUT)
                assert rows[key]["enrolled"] is False
                assert rows[key]["verdict"] == result.verdict.value
                assert rows[key]["failing"] == result.failing
                assert rows[key]["unresolved"] == result.unresolved

    def test_the_data_cut_drops_later_diagnoses_and_enrollments(self, store):
        """On 2021-01-12 only A-001 (diagnosed 2021-01-10) is registered, and not yet enrolled."""
        seed_events(store)
        tables = read_report_tables(store, actor=STATISTICIAN, protocol_id=NCT, as_of=date(2021, 1, 12))
        rows = tables.flow.to_pylist()
        assert [(r["patient_key"], r["enrolled"], r["risk_group"]) for r in rows] == [("A-001", False, None)]


class TestAdverseEventRows:
    def test_only_enrolled_patients_events_up_to_the_cut_are_read(self, store):
        """A-001's grades 2, 4 (and 5 at a later cut); A-002 is not enrolled, so its event is left out."""
        seed_events(store)
        early = read_report_tables(store, actor=STATISTICIAN, protocol_id=NCT, as_of=date(2022, 1, 1))
        assert [(r["patient_key"], r["grade"]) for r in early.adverse_events.to_pylist()] == [
            ("A-001", 2),
            ("A-001", 4),
        ]
        late = read_report_tables(store, actor=STATISTICIAN, protocol_id=NCT, as_of=CUT)
        assert [r["grade"] for r in late.adverse_events.to_pylist()] == [2, 4, 5]


class TestAccess:
    def test_a_site_role_may_not_read_the_tables(self, store, world):
        """A coordinator is refused (AccessDenied), as for the endpoint dataset."""
        coordinator = Actor(username="c", site_roles={world.sites["SEV"]: frozenset({Role.COORDINATOR})})
        with pytest.raises(AccessDenied):
            read_report_tables(store, actor=coordinator, protocol_id=NCT, as_of=CUT)

    def test_the_read_is_audited(self, store):
        """One export entry with entity report_tables names the protocol and the cut."""
        seed_events(store)
        read_report_tables(store, actor=STATISTICIAN, protocol_id=NCT, as_of=CUT)
        with store.session(SYSTEM) as s:
            notes = s.scalars(select(AuditEntry.new_value).where(AuditEntry.entity == "report_tables")).all()
        assert notes == [f"protocol={NCT} rows=4 adverse_events=3 as_of={CUT} purpose=report"]


class TestCohortRecords:
    def test_the_batch_gives_read_records_record_for_every_patient(self, store):
        """For the operator (every site, identifiers) each record equals read_record's."""
        seed(store)
        with store.session(SYSTEM) as s:
            batch = read_cohort_records(s)
            ids = dict(s.execute(select(Patient.study_id, Patient.id)).all())
            single = [read_record(s, patient_id=ids[r.patient.study_id]) for r in batch]
        assert [r.patient.study_id for r in batch] == ["A-001", "A-002", "A-003", "A-004"]
        assert batch == single
        assert batch[0].study_entry_date == date(2021, 1, 13)
        assert batch[0].attestations

    def test_a_study_level_role_gets_no_date_of_birth(self, store):
        """The statistician's records have a null date of birth; nothing else changes."""
        seed(store)
        with store.session(SYSTEM) as s:
            full = read_cohort_records(s)
        with store.session(STATISTICIAN) as s:
            withheld = read_cohort_records(s)
        assert all(r.patient.date_of_birth is None for r in withheld)
        assert all(r.patient.date_of_birth is not None for r in full)
        assert [r.model_dump(exclude={"patient"}) for r in withheld] == [
            r.model_dump(exclude={"patient"}) for r in full
        ]
