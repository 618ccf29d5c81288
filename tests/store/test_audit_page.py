"""The filtered, paged audit trail: each filter, page boundaries, the patient's rows and the role check."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from typing import Any

import pytest
from tests.store.helpers import AE, World

from remission.store import AccessDenied, NotFound, events, read_audit, read_audit_page
from remission.store.models import AdverseEvent
from remission.store.vocabulary import Role


def _seqs(entries: list[dict[str, Any]]) -> list[int]:
    return [entry["seq"] for entry in entries]


def _day(entry: dict[str, Any]) -> date:
    return date.fromisoformat(entry["at"][:10])


@pytest.fixture
def trail(world: World) -> dict[str, int]:
    """P-1 (SEV) with an adverse event later deleted and one kept, P-2 (SNU) with one of its own.

    The readers' accounts are made first, so the trail does not grow while a test reads it.
    """
    for role in (Role.ADMIN, Role.DATA_MANAGER, Role.MONITOR):
        world.actor(role)
    first = world.register("P-1", "SEV", consent=False)
    second = world.register("P-2", "SNU", consent=False)
    with world.session(world.actor(Role.COORDINATOR, "SEV")) as session:
        gone = events.create_row(session, model=AdverseEvent, patient_id=first, values=AE).id
        kept = events.create_row(session, model=AdverseEvent, patient_id=first, values=AE).id
    with world.session(world.actor(Role.COORDINATOR, "SEV"), reason="entered twice") as session:
        events.delete_row(session, model=AdverseEvent, patient_id=first, row_id=gone, version=1)
    with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
        other = events.create_row(session, model=AdverseEvent, patient_id=second, values=AE).id
    return {"first": first, "second": second, "gone": gone, "kept": kept, "other": other}


class TestFilters:
    def test_patient_filter_keeps_the_patient_and_their_rows_even_deleted(
        self, world: World, trail: dict[str, int]
    ) -> None:
        """P-1's filter gives its own entries and those of its AEs, the deleted one too, nothing of P-2."""
        owned = {
            ("patients", trail["first"]),
            ("adverse_events", trail["gone"]),
            ("adverse_events", trail["kept"]),
        }
        expected = [e["seq"] for e in world.audit_rows() if (e["entity"], e["entity_id"]) in owned]
        assert any(e["action"] == "delete" for e in world.audit_rows(entity_id=trail["gone"]))
        with world.session(world.actor(Role.MONITOR)) as session:
            page = read_audit_page(session, study_id="P-1", per_page=1000)
            chained = read_audit(session, study_id="P-1")
        assert _seqs(page.entries) == expected[::-1]
        assert _seqs(chained) == expected
        assert page.patient is not None
        assert page.patient.study_id == "P-1"

    def test_user_entity_and_action_filters_match_exactly(self, world: World, trail: dict[str, int]) -> None:
        """Username, table and action each keep only the entries that carry that value."""
        user = world.actor(Role.COORDINATOR, "SNU").username
        with world.session(world.actor(Role.ADMIN)) as session:
            by_user = read_audit_page(session, username=user, per_page=1000).entries
            by_entity = read_audit_page(session, entity="adverse_events", per_page=1000).entries
            by_action = read_audit_page(session, action="delete", per_page=1000).entries
        assert {e["username"] for e in by_user} == {user}
        assert {e["entity_id"] for e in by_user} == {trail["other"]}
        assert _seqs(by_entity) == _seqs(world.audit_rows(entity="adverse_events"))[::-1]
        assert {(e["action"], e["entity_id"]) for e in by_action} == {("delete", trail["gone"])}

    def test_date_range_is_inclusive_utc_days(self, world: World, trail: dict[str, int]) -> None:
        """``since`` and ``until`` keep the entries stamped on those UTC days and between them."""
        rows = world.audit_rows()
        first, last = _day(rows[0]), _day(rows[-1])
        with world.session(world.actor(Role.DATA_MANAGER)) as session:
            inside = read_audit_page(session, since=first, until=last, per_page=1000).entries
            after = read_audit_page(session, since=last + timedelta(days=1)).entries
            before = read_audit_page(session, until=first - timedelta(days=1)).entries
        assert len(inside) == len(rows)
        assert after == []
        assert before == []

    def test_filters_combine(self, world: World, trail: dict[str, int]) -> None:
        """Patient and action together keep only that patient's entries of that action."""
        with world.session(world.actor(Role.MONITOR)) as session:
            deleted = read_audit_page(session, study_id="P-2", action="delete").entries
            created = read_audit_page(session, study_id="P-2", action="create", per_page=1000).entries
        assert deleted == []
        assert {e["action"] for e in created} == {"create"}
        assert {(e["entity"], e["entity_id"]) for e in created} >= {
            ("patients", trail["second"]),
            ("adverse_events", trail["other"]),
        }
        assert ("adverse_events", trail["kept"]) not in {(e["entity"], e["entity_id"]) for e in created}

    def test_an_unknown_patient_is_not_found(self, world: World, trail: dict[str, int]) -> None:
        """Filtering by a study id no one has is NotFound rather than an empty trail."""
        with world.session(world.actor(Role.MONITOR)) as session, pytest.raises(NotFound):
            read_audit_page(session, study_id="NO-SUCH")


class TestPaging:
    def test_pages_split_the_trail_newest_first_without_gaps(
        self, world: World, trail: dict[str, int]
    ) -> None:
        """Consecutive pages of 7 cover every entry once, newest first; only the last has no next page."""
        everything = _seqs(world.audit_rows())[::-1]
        pages = []
        with world.session(world.actor(Role.ADMIN)) as session:
            number = 1
            while True:
                page = read_audit_page(session, page=number, per_page=7)
                pages.append(page)
                if not page.has_next:
                    break
                number += 1
            beyond = read_audit_page(session, page=number + 1, per_page=7)
        assert [seq for page in pages for seq in _seqs(page.entries)] == everything
        assert all(len(page.entries) == 7 for page in pages[:-1])
        assert 1 <= len(pages[-1].entries) <= 7
        assert [page.has_previous for page in pages] == [False] + [True] * (len(pages) - 1)
        assert beyond.entries == []
        assert not beyond.has_next

    def test_an_exact_multiple_has_no_empty_next_page(self, world: World, trail: dict[str, int]) -> None:
        """When the entries fill the page exactly, the page says there is no next one."""
        total = len(world.audit_rows())
        with world.session(world.actor(Role.ADMIN)) as session:
            full = read_audit_page(session, per_page=total)
            short = read_audit_page(session, per_page=total - 1)
        assert len(full.entries) == total
        assert not full.has_next
        assert short.has_next

    def test_a_page_before_the_first_is_refused(self, world: World, trail: dict[str, int]) -> None:
        """Page 0 is a caller's bug and raises ValueError."""
        with world.session(world.actor(Role.ADMIN)) as session, pytest.raises(ValueError, match="page"):
            read_audit_page(session, page=0)


class TestRoles:
    @pytest.mark.parametrize(
        ("role", "site"), [(Role.COORDINATOR, "SEV"), (Role.INVESTIGATOR, "SEV"), (Role.STATISTICIAN, None)]
    )
    def test_roles_without_audit_access_are_refused(
        self, world: World, trail: dict[str, int], role: Role, site: str | None
    ) -> None:
        """Site roles and statisticians get AccessDenied from the paged trail, with or without a filter."""
        with world.session(world.actor(role, site)) as session:
            with pytest.raises(AccessDenied):
                read_audit_page(session)
            with pytest.raises(AccessDenied):
                read_audit_page(session, study_id="P-1")


class TestPatientTrailIndexes:
    """A patient's entries are found through the indexes of migration 0016, not by reading the trail."""

    def test_the_plan_reads_the_patient_indexes(self, world: World, trail: dict[str, int]) -> None:
        """The query plan of P-1's entries names the partial owner indexes and the (entity, row) index."""
        audit_reading = importlib.import_module("remission.store.audit_reading")
        query = audit_reading._patient_entries(trail["first"])
        engine = world.store.engine
        sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
                plan = " ".join(str(row[-1]) for row in rows)
            else:
                # The test tables are tiny, so PostgreSQL would rather scan them: take scans off the
                # table (and give it statistics) to see which indexes the query uses.
                connection.exec_driver_sql("ANALYZE audit_entries")
                connection.exec_driver_sql("SET enable_seqscan = off")
                plan = " ".join(str(row[0]) for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))
        # Every read of the trail is an index search: no scan of the table or of a whole index.
        for scan in ("SCAN owner", "SCAN entry", "SCAN audit_entries", "Seq Scan"):
            assert scan not in plan, plan
        assert "ix_audit_entries_row" in plan, plan
        owner_indexes = ("ix_audit_entries_patient_new_value", "ix_audit_entries_patient_old_value")
        if engine.dialect.name == "sqlite":  # its planner has no statistics here: the same plan every time
            assert all(index in plan for index in owner_indexes), plan
        else:
            assert any(index in plan for index in owner_indexes), plan
