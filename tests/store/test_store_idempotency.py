"""Idempotency keys in the store: a replay re-checks read access to the sites the write touched.

Migration 0004 adds ``idempotency_keys.site_ids`` and fills it for keys stored before it; the
test moves a fresh database back to 0003, stores keys as 0003 would, and upgrades again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import insert, select
from tests.store.helpers import World

from remission.store import events
from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.errors import NotFound
from remission.store.idempotency import run_idempotent
from remission.store.migrations_api import alembic_config, current_revision, head_revision, upgrade
from remission.store.models import IdempotencyKey, MRDMeasurement
from remission.store.session import StudySession
from remission.store.vocabulary import Role

MRD = {
    "time_point": "after consolidation 1",
    "method": "IG/TR RQ-PCR",
    "value_fraction": 0.0,
    "sensitivity_fraction": 1e-05,
}


def add_mrd(patient_id: int) -> Any:
    """A unit of work: one MRD result for ``patient_id``, answered with its ids."""

    def work(session: StudySession) -> dict[str, int]:
        values = {**MRD, "sample_date": date(2025, 3, 4)}
        row = events.create_row(session, model=MRDMeasurement, patient_id=patient_id, values=values)
        return {"id": row.id, "patient_id": row.patient_id}

    return work


def stored_sites(store: Store, key: str) -> list[int] | None:
    with store.engine.connect() as connection:
        return connection.scalar(select(IdempotencyKey.site_ids).where(IdempotencyKey.key == key))


class TestSitesOfAKey:
    def test_key_records_the_site_written(self, world: World):
        """A keyed write stores the site of the rows it wrote with the key."""
        patient = world.register("IDEM-01", "SNU")
        actor = world.actor(Role.DATA_MANAGER)
        run_idempotent(world.store, actor=actor, key="k-1", fingerprint="f", work=add_mrd(patient))
        assert stored_sites(world.store, "k-1") == [world.snu]

    def test_key_of_a_write_without_site_rows_records_none(self, world: World):
        """A keyed unit of work that writes no site's rows stores an empty list."""
        actor = world.actor(Role.DATA_MANAGER)
        run_idempotent(world.store, actor=actor, key="k-2", fingerprint="f", work=lambda session: {"ok": 1})
        assert stored_sites(world.store, "k-2") == []

    def test_replay_to_a_reader_of_the_site_is_the_stored_answer(self, world: World):
        """The same actor repeating the request gets the stored answer, replayed."""
        patient = world.register("IDEM-03", "SEV")
        actor = world.actor(Role.COORDINATOR, "SEV")
        first = run_idempotent(world.store, actor=actor, key="k-3", fingerprint="f", work=add_mrd(patient))
        again = run_idempotent(world.store, actor=actor, key="k-3", fingerprint="f", work=add_mrd(patient))
        assert (again.content, again.replayed) == (first.content, True)

    def test_replay_without_read_access_is_not_found(self, world: World):
        """An actor (same user) who no longer reads the key's site gets NotFound, not the answer."""
        patient = world.register("IDEM-04", "SEV")
        actor = world.actor(Role.COORDINATOR, "SEV")
        run_idempotent(world.store, actor=actor, key="k-4", fingerprint="f", work=add_mrd(patient))
        moved = Actor(actor.username, actor.user_id, site_roles={world.snu: frozenset({Role.COORDINATOR})})
        with pytest.raises(NotFound):
            run_idempotent(world.store, actor=moved, key="k-4", fingerprint="f", work=add_mrd(patient))


class TestMigration0004:
    def test_head_is_after_0004(self, store: Store):
        """The shipped migrations end at 0007 (server-side sessions, after 0004 and 0005); the test
        database is there."""
        assert head_revision(store.engine) == "0007"
        assert current_revision(store.engine) == "0007"

    def test_keys_stored_before_0004_get_their_sites(self, world: World):
        """Keys from before 0004 answering a patient or a patient's row get that site; others NULL."""
        sev = world.register("OLD-01", "SEV")
        snu = world.register("OLD-02", "SNU")
        user = world.actor(Role.COORDINATOR, "SEV").user_id
        config = alembic_config(world.store.engine)
        with world.store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0003")
        assert current_revision(world.store.engine) == "0003"
        responses = {
            "row": {"id": 7, "patient_id": snu},
            "patient": {"id": sev, "study_id": "OLD-01", "site_id": world.sev},
            "user": {"id": 3, "username": "kim"},
            "gone": {"id": 9, "patient_id": 10_000},
        }
        stored_at = datetime(2026, 1, 1, tzinfo=UTC)
        with world.store.engine.begin() as connection:
            for key, response in responses.items():
                values = {"user_id": user, "key": key, "request_hash": "f", "status_code": 201}
                values |= {"response": response, "created_at": stored_at}
                connection.execute(insert(IdempotencyKey.__table__).values(values))
        upgrade(world.store.engine)
        sites = {key: stored_sites(world.store, key) for key in responses}
        assert sites == {"row": [world.snu], "patient": [world.sev], "user": None, "gone": None}
