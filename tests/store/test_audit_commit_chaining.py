"""Chaining at COMMIT on PostgreSQL (migration 0003): pending entries become chained entries
in commit order, concurrent writers never fork the chain, and nothing is left pending."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from tests.store.helpers import ON_POSTGRESQL, World

from remission.store import StorageError, events
from remission.store.audit import content_digest, link_hash
from remission.store.audit_verification import verify_chain
from remission.store.models import AdverseEvent, AuditEntry, AuditPending
from remission.store.vocabulary import Role

AE = {
    "term": "Febrile neutropenia",
    "grade": 3,
    "onset_date": date(2025, 3, 1),
    "serious": True,
    "attribution": "possible",
}


def _coordinator(world: World) -> Any:
    return world.actor(Role.COORDINATOR, "SEV")


def _pending(world: World) -> int:
    with world.store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(AuditPending)) or 0


def _add_ae(world: World, patient_id: int, term: str) -> None:
    with world.session(_coordinator(world)) as session:
        events.create_row(session, model=AdverseEvent, patient_id=patient_id, values={**AE, "term": term})


class TestCommitTimeChaining:
    def test_hash_links_previous_hash_sequence_and_content_digest(self, world: World):
        """Every stored hash is sha256(prev:seq:digest) of the entry's own content, on either backend."""
        patient = world.register("P-1", "SEV")
        _add_ae(world, patient, "Mucositis")
        entries = world.audit_rows()
        assert entries
        for entry in entries:
            content = {key: entry[key] for key in ("at", "user_id", "username", "action", "entity")}
            content |= {key: entry[key] for key in ("entity_id", "site_id", "field", "old_value")}
            content |= {"new_value": entry["new_value"], "reason": entry["reason"]}
            assert entry["hash"] == link_hash(entry["prev_hash"], entry["seq"], content_digest(content))

    def test_nothing_stays_pending_after_commit(self, world: World):
        """Committed writes leave the pending table empty; their entries are in the chain."""
        patient = world.register("P-1", "SEV")
        _coordinator(world)
        before = world.audit_count()
        _add_ae(world, patient, "Mucositis")
        assert _pending(world) == 0
        assert world.audit_count() > before

    @ON_POSTGRESQL
    def test_entries_are_chained_only_when_the_transaction_commits(self, world: World):
        """Inside the open transaction the entries wait in audit_pending; the chain gets them at COMMIT."""
        patient, coordinator = world.register("P-1", "SEV"), _coordinator(world)
        before = world.audit_count()
        with world.session(coordinator) as session:
            events.create_row(session, model=AdverseEvent, patient_id=patient, values=AE)
            session.flush()
            assert session.scalar(select(func.count()).select_from(AuditPending)) > 0
            assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
        assert world.audit_count() > before
        assert _pending(world) == 0

    @ON_POSTGRESQL
    def test_many_concurrent_writers_extend_one_contiguous_chain(self, world: World):
        """Eight threads writing at once yield contiguous sequence numbers and an intact chain."""
        patients = [world.register(f"P-{index}", "SEV") for index in range(8)]
        _coordinator(world)
        problems: list[BaseException] = []

        def write(patient_id: int) -> None:
            try:
                for number in range(5):
                    _add_ae(world, patient_id, f"term {patient_id}-{number}")
            except BaseException as error:  # reported to the main thread
                problems.append(error)

        writers = [threading.Thread(target=write, args=(patient,)) for patient in patients]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(timeout=60)
        assert problems == []
        entries = world.audit_rows()
        assert [entry["seq"] for entry in entries] == list(range(1, len(entries) + 1))
        assert _count_aes(world) == 40
        assert len({entry["entity_id"] for entry in world.audit_rows(entity="adverse_events")}) == 40
        with world.store.engine.connect() as connection:
            assert verify_chain(connection).intact
        assert _pending(world) == 0

    @ON_POSTGRESQL
    def test_repeatable_read_writer_is_refused_and_leaves_nothing(self, world: World):
        """A writer that would chain from a stale snapshot is refused at COMMIT, with no partial write."""
        patient, coordinator = world.register("P-1", "SEV"), _coordinator(world)
        before_entries, before_rows = world.audit_count(), _count_aes(world)
        refused = pytest.raises(StorageError, match="READ COMMITTED")
        with refused as raised, world.session(coordinator) as session:
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            events.create_row(session, model=AdverseEvent, patient_id=patient, values=AE)
        assert isinstance(raised.value.__cause__, DBAPIError)
        assert (world.audit_count(), _count_aes(world)) == (before_entries, before_rows)
        assert _pending(world) == 0


def _count_aes(world: Any) -> int:
    with world.store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(AdverseEvent)) or 0
