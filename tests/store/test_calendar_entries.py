"""The kept calendar entries follow every write in the same transaction, and the worklist read from
them is the one computed from the calendars (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select
from tests.store.helpers import NCT, World, attestations_of, example

from remission.store import (
    MRDMeasurement,
    TreatmentPhaseRecord,
    create_row,
    enroll_patient,
    owed_counts,
    read_calendar,
    site_worklist,
)
from remission.store.calendar_models import CalendarEntry
from remission.store.vocabulary import Role

AS_OF = date(2025, 9, 20)  # INF-04: induction ended 2025-08-26


def _enrolled(world: World, study_id: str, site: str = "SEV") -> int:
    record = example("INF-04")
    patient_id = world.register(study_id, site, record=record)
    with world.session(world.system) as session:
        enroll_patient(
            session,
            patient_id=patient_id,
            protocol_id=NCT,
            enrolled_on=date.fromisoformat(record["study_entry_date"]),
            attestations=attestations_of(record),
        )
    return patient_id


def _entries(world: World, patient_id: int) -> dict[tuple[str, str], CalendarEntry]:
    with world.store.engine.connect() as connection:
        rows = connection.execute(
            select(CalendarEntry.__table__).where(CalendarEntry.patient_id == patient_id)
        )
        return {(row.assessment, row.occurrence): row for row in rows}


def test_the_entries_follow_each_committed_write(world: World) -> None:
    patient_id = _enrolled(world, "CAL-1")
    before = _entries(world, patient_id)[("mrd-end-of-induction", "")]
    assert (before.standing, before.due_from) == ("not scheduled yet", None)
    with world.session(world.system) as session:
        induction = {
            "phase_id": "induction",
            "actual_start": date(2025, 7, 23),
            "actual_end": date(2025, 8, 26),
        }
        create_row(session, model=TreatmentPhaseRecord, patient_id=patient_id, values=induction, today=AS_OF)
    scheduled = _entries(world, patient_id)[("mrd-end-of-induction", "")]
    assert (scheduled.standing, scheduled.done_on) == ("scheduled", None)
    with world.session(world.system) as session:
        result = {
            "time_point": "end of induction",
            "method": "flow cytometry",
            "sample_date": date(2025, 8, 27),
            "value_fraction": 0.001,
            "sensitivity_fraction": 1e-4,
        }
        create_row(session, model=MRDMeasurement, patient_id=patient_id, values=result, today=AS_OF)
    assert _entries(world, patient_id)[("mrd-end-of-induction", "")].done_on == date(2025, 8, 27)


def test_the_worklist_is_the_calendars_due_and_overdue_items(world: World) -> None:
    patient_id = _enrolled(world, "CAL-2")
    with world.session(world.system) as session:
        induction = {
            "phase_id": "induction",
            "actual_start": date(2025, 7, 23),
            "actual_end": date(2025, 8, 26),
        }
        create_row(session, model=TreatmentPhaseRecord, patient_id=patient_id, values=induction, today=AS_OF)
    monitor = world.actor(Role.MONITOR)
    with world.session(monitor) as session:
        computed = [
            (item.assessment, item.occurrence, item.state.value)
            for calendar in read_calendar(session, patient_id=patient_id, as_of=AS_OF)
            for item in calendar.items
            if item.state.value in ("due", "overdue")
        ]
        kept = [
            (line.item.assessment, line.item.occurrence, line.item.state.value)
            for line in site_worklist(session, site_code="SEV", as_of=AS_OF)
            if line.patient_id == patient_id
        ]
        counts = owed_counts(session, as_of=AS_OF)
    assert computed
    assert sorted(kept) == sorted(computed)
    assert counts["SEV"].overdue == sum(state == "overdue" for *_, state in kept)


def test_a_patient_without_entries_is_refreshed_by_the_first_worklist_read(world: World) -> None:
    """Data from before the table (or a new protocol version) has no current entries: the worklist
    computes them, even for a reader who writes no clinical data."""
    patient_id = _enrolled(world, "CAL-3")
    with world.store.engine.begin() as connection:
        connection.execute(delete(CalendarEntry.__table__).where(CalendarEntry.patient_id == patient_id))
    assert _entries(world, patient_id) == {}
    with world.session(world.actor(Role.MONITOR)) as session:
        site_worklist(session, site_code="SEV", as_of=AS_OF)
    assert _entries(world, patient_id)


def test_another_site_reads_no_entry(world: World) -> None:
    patient_id = _enrolled(world, "CAL-4")
    with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
        assert site_worklist(session, site_code="SEV", as_of=date(2030, 1, 1)) == []
        assert "SEV" not in owed_counts(session, as_of=date(2030, 1, 1))
        visible = session.scalar(
            select(func.count()).select_from(CalendarEntry).where(CalendarEntry.patient_id == patient_id)
        )
    assert visible == 0
