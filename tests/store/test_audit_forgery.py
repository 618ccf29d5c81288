"""The keyed audit trail against an attacker who can write to the database but holds no key.

Each test forges what the issue's probe forged (an appended entry with a correctly computed
unkeyed hash, an old entry rewritten and everything after it re-hashed, a cut tail) or what a
more careful attacker would (a replayed entry, two entries swapped), on SQLite and PostgreSQL,
and checks that verification names the entry. Rotation and a wrong key are here too.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

import pytest
from sqlalchemy import Connection, insert, select, text
from sqlalchemy.exc import DBAPIError
from tests.store.helpers import ON_POSTGRESQL, World

from remission.store import accounts
from remission.store.actor import Actor
from remission.store.audit_keys import AuditKeyring
from remission.store.audit_links import content_digest, content_of, entry_hash, link_hash
from remission.store.audit_sealing import checkpoint_due
from remission.store.audit_settings import AuditSettings, CheckpointSchedule, development_audit_settings
from remission.store.audit_verification import ChainReport, verify_chain
from remission.store.database import Store, make_engine
from remission.store.models import AuditCheckpoint, AuditEntry, AuditSeal


def add_sites(store: Store, *codes: str) -> None:
    with store.session(Actor.for_system("seed")) as session:
        for code in codes:
            accounts.add_site(session, code=code, name=f"Hospital {code}")


def verify(store: Store, **options: Any) -> ChainReport:
    with store.engine.connect() as connection:
        return verify_chain(connection, settings=options.pop("settings", store.audit), **options)


def unguard(connection: Connection, *tables: str) -> None:
    """What an operator with full rights over the database can do: lift every trigger's guard."""
    for table in tables:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for operation in ("update", "delete"):
                name = "audit" if table == "audit_entries" else table
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}_no_{operation}")


def rows(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as connection:
        query = select(AuditEntry.__table__).order_by(AuditEntry.seq)
        return [dict(row) for row in connection.execute(query).mappings()]


def forged_after(head: dict[str, Any], **values: Any) -> dict[str, Any]:
    """An entry after ``head`` whose unkeyed hash is computed correctly, as the probe did."""
    content = {**content_of(head), "new_value": '"forged"', **values}
    seq = head["seq"] + 1
    return {**content, "seq": seq, "prev_hash": head["hash"], "hash": entry_hash(head["hash"], seq, content)}


def settings_with(keyring: AuditKeyring) -> AuditSettings:
    return dataclasses.replace(development_audit_settings(), keyring=keyring)


class TestDatabaseOnlyForgery:
    def test_an_appended_entry_with_a_correct_hash_is_reported(self, world: World):
        """An entry appended with a correctly computed unkeyed hash and no MAC is named, and never sealed."""
        world.register("P-1", "SEV")
        head = rows(world.store)[-1]
        forged = forged_after(head)
        with world.store.engine.begin() as connection:
            unguard(connection, "audit_entries")
            connection.execute(insert(AuditEntry), [forged])
        world.register("P-2", "SEV")  # a later write must not seal the forgery
        report = verify(world.store)
        assert (report.broken_at, report.entries) == (forged["seq"], forged["seq"] - 1)
        assert "carries no MAC" in report.problem
        with world.store.engine.connect() as connection:
            assert connection.scalar(select(AuditSeal.seq).where(AuditSeal.seq == forged["seq"])) is None

    def test_an_appended_entry_with_a_made_up_mac_is_reported(self, world: World):
        """A guessed MAC under the real key id does not pass: the entry is named as forged."""
        world.register("P-1", "SEV")
        head = rows(world.store)[-1]
        forged = forged_after(head) | {
            "key_id": head["key_id"],
            "nonce": secrets.token_hex(16),
            "entry_mac": secrets.token_hex(32),
        }
        with world.store.engine.begin() as connection:
            unguard(connection, "audit_entries")
            connection.execute(insert(AuditEntry), [forged])
        report = verify(world.store)
        assert report.broken_at == forged["seq"]
        assert "forged or rewritten" in report.problem

    def test_a_rewritten_entry_with_every_later_hash_recomputed_is_reported(self, world: World):
        """Rewriting an old entry and re-hashing the whole chain after it is named at that entry."""
        world.register("P-1", "SEV")
        world.register("P-2", "SEV")
        entries = rows(world.store)
        target = 3
        prev = entries[target - 2]["hash"]
        with world.store.engine.begin() as connection:
            unguard(connection, "audit_entries")
            for entry in entries[target - 1 :]:
                content = content_of(entry)
                if entry["seq"] == target:
                    content["new_value"] = '"rewritten"'
                digest = link_hash(prev, entry["seq"], content_digest(content))
                connection.execute(
                    AuditEntry.__table__.update()
                    .where(AuditEntry.seq == entry["seq"])
                    .values(new_value=content["new_value"], prev_hash=prev, hash=digest)
                )
                prev = digest
        report = verify(world.store)
        assert report.broken_at == target
        assert "MAC does not match" in report.problem

    def test_swapped_entries_with_their_macs_are_reported_by_the_seal(self, world: World):
        """Two entries swapped with their nonces and MACs, links re-hashed, break the keyed seal chain."""
        world.register("P-1", "SEV")
        entries = rows(world.store)
        first, second = entries[1], entries[2]
        keyed = ("key_id", "nonce", "entry_mac", *content_of(first))
        with world.store.engine.begin() as connection:
            unguard(connection, "audit_entries")
            connection.exec_driver_sql("DROP INDEX ix_audit_entries_nonce")
            prev = first["prev_hash"]
            for seq, source in ((first["seq"], second), (second["seq"], first)):
                digest = link_hash(prev, seq, content_digest(content_of(source)))
                values = {name: source[name] for name in keyed}
                connection.execute(
                    AuditEntry.__table__.update()
                    .where(AuditEntry.seq == seq)
                    .values(**values, prev_hash=prev, hash=digest)
                )
                prev = digest
            for entry in entries[3:]:
                digest = link_hash(prev, entry["seq"], content_digest(content_of(entry)))
                connection.execute(
                    AuditEntry.__table__.update()
                    .where(AuditEntry.seq == entry["seq"])
                    .values(prev_hash=prev, hash=digest)
                )
                prev = digest
        report = verify(world.store)
        assert report.broken_at == first["seq"]
        assert "seal does not match" in report.problem

    def test_a_replayed_entry_is_reported(self, world: World):
        """A copy of a real entry (nonce and MAC included) appended at the end is named as replayed."""
        world.register("P-1", "SEV")
        entries = rows(world.store)
        copied, head = entries[1], entries[-1]
        seq = head["seq"] + 1
        replay = {
            **copied,
            "seq": seq,
            "prev_hash": head["hash"],
            "hash": link_hash(head["hash"], seq, content_digest(content_of(copied))),
        }
        with world.store.engine.begin() as connection:
            unguard(connection, "audit_entries")
            connection.exec_driver_sql("DROP INDEX ix_audit_entries_nonce")
            connection.execute(insert(AuditEntry), [replay])
        report = verify(world.store)
        assert report.broken_at == seq
        assert "replayed" in report.problem


class TestCheckpoints:
    def test_a_tail_cut_after_a_checkpoint_is_reported(self, world: World):
        """Entries and seals removed after a checkpoint: the stored checkpoint names the missing tail."""
        world.register("P-1", "SEV")
        checkpoint = world.store.checkpoint_audit()
        assert verify(world.store).intact
        with world.store.engine.begin() as connection:
            unguard(connection, "audit_entries", "audit_seals")
            connection.execute(AuditSeal.__table__.delete().where(AuditSeal.seq >= checkpoint.seq - 1))
            connection.execute(AuditEntry.__table__.delete().where(AuditEntry.seq >= checkpoint.seq - 1))
        report = verify(world.store)
        assert report.broken_at == checkpoint.seq - 1
        assert "entries were removed from the end" in report.problem

    def test_a_kept_checkpoint_reveals_a_cut_the_database_hides(self, world: World):
        """With the checkpoints deleted too, only the checkpoint kept outside the database shows the cut."""
        world.register("P-1", "SEV")
        kept = world.store.checkpoint_audit()
        with world.store.engine.begin() as connection:
            unguard(connection, "audit_entries", "audit_seals", "audit_checkpoints")
            connection.execute(AuditCheckpoint.__table__.delete())
            connection.execute(AuditSeal.__table__.delete().where(AuditSeal.seq >= kept.seq))
            connection.execute(AuditEntry.__table__.delete().where(AuditEntry.seq >= kept.seq))
        assert verify(world.store).intact
        report = verify(world.store, checkpoint=kept)
        assert report.broken_at == kept.seq
        assert "removed from the end" in report.problem

    def test_a_forged_checkpoint_is_reported(self, world: World):
        """A stored checkpoint whose hash was changed no longer matches its signature."""
        world.register("P-1", "SEV")
        world.store.checkpoint_audit()
        with world.store.engine.begin() as connection:
            unguard(connection, "audit_checkpoints")
            connection.execute(AuditCheckpoint.__table__.update().values(hash="0" * 64))
        report = verify(world.store)
        assert not report.intact
        assert "signature does not match" in report.problem

    def test_checkpoints_are_written_on_schedule(self, database_url: str):
        """With a checkpoint due every 5 entries, writes leave checkpoints that verify."""
        settings = development_audit_settings(CheckpointSchedule(every_entries=5, every_minutes=None))
        store = Store(make_engine(database_url), audit=settings)
        try:
            add_sites(store, "SAA", "SBB", "SCC", "SDD")
            report = verify(store)
            assert report.intact, report.problem
            assert report.checkpoints >= 1
            assert report.entries - (report.last_checkpoint or 0) < 5 + 2
        finally:
            store.engine.dispose()

    def test_a_checkpoint_is_due_after_the_minutes_set(self, world: World):
        """Without enough entries, a checkpoint falls due once the minutes set have passed."""
        world.register("P-1", "SEV")
        schedule = CheckpointSchedule(every_entries=None, every_minutes=30)
        with world.store.engine.connect() as connection:
            assert not checkpoint_due(connection, schedule)
            from datetime import UTC, datetime, timedelta

            later = datetime.now(UTC) + timedelta(minutes=31)
            assert checkpoint_due(connection, schedule, now=later)


class TestKeys:
    def test_entries_under_two_key_ids_verify(self, world: World):
        """After rotation, entries under the old and the new key id verify with a ring holding both."""
        old = AuditKeyring({"2025-01": secrets.token_bytes(32)}, "2025-01")
        new = AuditKeyring({**old.keys, "2025-06": secrets.token_bytes(32)}, "2025-06")
        for ring, code in ((old, "SAA"), (new, "SBB")):
            add_sites(Store(world.store.engine, audit=settings_with(ring)), code)
        report = verify(world.store, settings=settings_with(new))
        assert report.broken_at is not None  # the fixture's entries were keyed with the development key
        both = AuditKeyring({**new.keys, **world.store.audit.keyring.keys}, "2025-06")
        report = verify(world.store, settings=settings_with(both))
        assert report.intact, report.problem
        assert set(report.key_ids) == {"dev-insecure", "2025-01", "2025-06"}

    def test_a_key_id_missing_from_the_ring_is_named(self, world: World):
        """Verifying without a key the entries need names that key id."""
        world.register("P-1", "SEV")
        other = AuditKeyring({"k2": secrets.token_bytes(32)}, "k2")
        report = verify(world.store, settings=settings_with(other))
        assert report.broken_at == 1
        assert "key id 'dev-insecure', which is not configured" in report.problem

    def test_a_wrong_key_under_the_right_id_fails_at_the_first_entry(self, world: World):
        """A different key configured under the entries' key id fails clearly at entry 1."""
        world.register("P-1", "SEV")
        wrong = AuditKeyring({"dev-insecure": secrets.token_bytes(32)}, "dev-insecure")
        report = verify(world.store, settings=settings_with(wrong))
        assert report.broken_at == 1
        assert "the key configured as that id is not the one it was written with" in report.problem


@ON_POSTGRESQL
class TestDirectInsertRefused:
    def test_the_application_role_cannot_insert_entries_but_can_write_through_the_store(
        self, world: World, postgres_server: Any
    ):
        """A role granted ALL on every table cannot INSERT audit entries; its store writes are chained."""
        with world.store.engine.begin() as connection:
            connection.exec_driver_sql(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_writer') "
                "THEN CREATE ROLE app_writer LOGIN; END IF; END $$"
            )
            connection.exec_driver_sql("GRANT ALL ON ALL TABLES IN SCHEMA public TO app_writer")
            connection.exec_driver_sql("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO app_writer")
        head = rows(world.store)[-1]
        app = Store(make_engine(postgres_server.url(world.store.engine.url.database, user="app_writer")))
        try:
            for statement in (
                insert(AuditEntry).values(**forged_after(head)),
                text("SET LOCAL ROLE remission_audit_linker"),
            ):
                with (
                    pytest.raises(DBAPIError, match=r"direct INSERT|permission denied"),
                    app.engine.begin() as c,
                ):
                    c.execute(statement)
            add_sites(app, "APP")
        finally:
            app.engine.dispose()
        report = verify(world.store)
        assert report.intact, report.problem
        assert rows(world.store)[-1]["entity"] == "sites"

    def test_even_the_owner_cannot_insert_entries_directly(self, world: World):
        """The guard is a trigger, not a grant: a superuser's direct INSERT is refused too."""
        head = rows(world.store)[-1]
        with pytest.raises(DBAPIError, match="direct INSERT"), world.store.engine.begin() as connection:
            connection.execute(insert(AuditEntry).values(**forged_after(head)))
