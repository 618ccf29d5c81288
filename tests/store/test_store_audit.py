"""The audit trail: what each write records, the hash chain, tampering, and append-only storage."""

from __future__ import annotations

import itertools
import re
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from tests.store.helpers import AE, NCT, ON_POSTGRESQL, World, attestations_of, example

from remission.store import accounts, events, patients
from remission.store.audit import GENESIS, ReasonRequired, _content, entry_hash
from remission.store.audit_verification import verify_chain
from remission.store.database import make_engine
from remission.store.enrollment import enroll_patient
from remission.store.errors import NotFound
from remission.store.models import AdverseEvent, AnthracyclineDose, User
from remission.store.passwords import hash_password
from remission.store.vocabulary import Role

#: The audit text of each column of :data:`AE` once created (resolution_date stays null).
AE_CREATED = {
    "terminology": '"CTCAE v5.0"',
    "term": '"Febrile neutropenia"',
    "grade": "3",
    "onset_date": "2025-01-20",
    "serious": "true",
    "attribution": '"possible"',
}
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def add_ae(world: World, patient_id: int, site: str = "SEV") -> int:
    with world.session(world.actor(Role.COORDINATOR, site)) as session:
        return events.create_row(session, model=AdverseEvent, patient_id=patient_id, values=AE).id


def regrade(world: World, patient_id: int, ae_id: int, grade: int, *, reason: str | None) -> None:
    with world.session(world.actor(Role.COORDINATOR, "SEV"), reason=reason) as session:
        events.update_row(
            session,
            model=AdverseEvent,
            patient_id=patient_id,
            row_id=ae_id,
            version=1,
            values={"grade": grade},
        )


def delete_ae(world: World, patient_id: int, ae_id: int, *, reason: str | None) -> None:
    with world.session(world.actor(Role.COORDINATOR, "SEV"), reason=reason) as session:
        events.delete_row(session, model=AdverseEvent, patient_id=patient_id, row_id=ae_id, version=1)


def mixed_workload(world: World) -> None:
    """Accounts, registrations, an enrollment, creates, updates, deletes and a read of identifiers."""
    record = example("INF-01")
    patient_id = world.register("INF-01", "SEV", record=record, identifiers={"full_name": "Kim Ha-eun"})
    other = world.register("SNU-1", "SNU")
    with world.session(world.actor(Role.INVESTIGATOR, "SEV")) as session:
        enroll_patient(
            session,
            patient_id=patient_id,
            protocol_id=NCT,
            enrolled_on=date(2025, 1, 3),
            attestations=attestations_of(record),
        )
        dose = events.create_row(
            session,
            model=AnthracyclineDose,
            patient_id=patient_id,
            values={"drug": "daunorubicin", "dose_mg_per_m2": 30.0, "date": date(2025, 1, 5)},
        )
        patients.read_identifiers(session, patient_id=patient_id)
    ae = add_ae(world, patient_id)
    regrade(world, patient_id, ae, 4, reason="re-graded at review")
    with world.session(world.actor(Role.COORDINATOR, "SEV"), reason="entered twice") as session:
        events.delete_row(session, model=AnthracyclineDose, patient_id=patient_id, row_id=dose.id, version=1)
    with world.session(world.actor(Role.DATA_MANAGER), reason="query resolved") as session:
        patients.update_patient(
            session, patient_id=other, version=1, changes={"sex": "male"}, today=date(2026, 11, 21)
        )


def unlock_audit(connection: Connection) -> None:
    """What an operator with full rights over the database could do to allow edits of the trail."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DROP TRIGGER audit_no_update")
        connection.exec_driver_sql("DROP TRIGGER audit_no_delete")
    else:
        connection.exec_driver_sql("ALTER TABLE audit_entries DISABLE TRIGGER USER")


def verify(engine: Engine) -> Any:
    with engine.connect() as connection:
        return verify_chain(connection)


class TestCreateEntries:
    def test_one_entry_per_non_null_column(self, world: World):
        """Creating a row writes one 'create' entry per non-null column, with its new value."""
        patient_id = world.register("P-1", "SEV")
        actor = world.actor(Role.COORDINATOR, "SEV")
        before = world.audit_count()
        add_ae(world, patient_id)
        entries = world.audit_rows(entity="adverse_events")
        assert world.audit_count() == before + len(entries) == before + 8
        assert {e["field"]: e["new_value"] for e in entries} == {
            **AE_CREATED,
            "patient_id": str(patient_id),
            "site_id": str(world.sev),
        }
        for entry in entries:
            assert (entry["action"], entry["user_id"], entry["username"]) == (
                "create",
                actor.user_id,
                actor.username,
            )
            assert (entry["site_id"], entry["old_value"], entry["reason"]) == (world.sev, None, None)

    def test_time_is_utc_with_microseconds(self, world: World):
        """Every entry is stamped with the current UTC time in ISO 8601 with a Z suffix."""
        started = datetime.now(UTC)
        world.register("P-1", "SEV")
        entries = world.audit_rows()
        assert entries
        for entry in entries:
            assert STAMP.match(entry["at"]), entry["at"]
            stamped = datetime.strptime(entry["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
            assert started - timedelta(minutes=5) <= stamped <= datetime.now(UTC) + timedelta(seconds=1)

    def test_create_entries_name_the_row(self, world: World):
        """A create entry names the id of the row it created."""
        patient_id = world.register("P-1", "SEV")
        ae_id = add_ae(world, patient_id)
        assert {e["entity_id"] for e in world.audit_rows(entity="adverse_events")} == {ae_id}
        assert {e["entity_id"] for e in world.audit_rows(entity="patients")} == {patient_id}

    def test_account_changes_are_logged(self, world: World):
        """Adding a user and their role writes entries naming the admin who did it."""
        admin = world.actor(Role.ADMIN)
        with world.session(admin) as session:
            accounts.add_user(
                session,
                username="snu-coordinator",
                full_name="Lee Seo-yeon",
                password="long enough password",
                role=Role.COORDINATOR,
                site_code="SNU",
            )
        roles = world.audit_rows(entity="role_assignments", username=admin.username)
        assert {e["field"]: e["new_value"] for e in roles}["role"] == '"coordinator"'
        users = world.audit_rows(entity="users", username=admin.username)
        assert {e["field"]: e["new_value"] for e in users}["username"] == '"snu-coordinator"'


class TestUpdateAndDeleteEntries:
    def test_update_records_old_and_new_value_and_reason(self, world: World):
        """An update writes only the changed column, with old value, new value, reason and row id."""
        patient_id = world.register("P-1", "SEV")
        ae_id = add_ae(world, patient_id)
        before = world.audit_count()
        regrade(world, patient_id, ae_id, 4, reason="re-graded at review")
        (entry,) = world.audit_rows()[before:]
        assert (entry["action"], entry["entity"], entry["entity_id"], entry["field"]) == (
            "update",
            "adverse_events",
            ae_id,
            "grade",
        )
        assert (entry["old_value"], entry["new_value"], entry["reason"]) == ("3", "4", "re-graded at review")
        assert entry["site_id"] == world.sev

    def test_update_without_reason_is_refused(self, world: World):
        """Changing a saved row without a (non-blank) reason raises ReasonRequired and changes nothing."""
        patient_id = world.register("P-1", "SEV")
        ae_id = add_ae(world, patient_id)
        before = world.audit_count()
        for reason in (None, "", "   "):
            with pytest.raises(ReasonRequired):
                regrade(world, patient_id, ae_id, 4, reason=reason)
        with world.session(world.system) as session:
            row = session.get(AdverseEvent, ae_id)
            assert (row.grade, row.version) == (3, 1)
        assert world.audit_count() == before

    def test_delete_keeps_the_old_values(self, world: World):
        """A deletion writes one entry per column holding the old value, and needs a reason."""
        patient_id = world.register("P-1", "SEV")
        ae_id = add_ae(world, patient_id)
        with pytest.raises(ReasonRequired):
            delete_ae(world, patient_id, ae_id, reason=None)
        before = world.audit_count()
        delete_ae(world, patient_id, ae_id, reason="entered for the wrong patient")
        entries = world.audit_rows()[before:]
        assert {e["action"] for e in entries} == {"delete"}
        assert {e["entity_id"] for e in entries} == {ae_id}
        assert {e["reason"] for e in entries} == {"entered for the wrong patient"}
        assert {e["new_value"] for e in entries} == {None}
        old = {e["field"]: e["old_value"] for e in entries}
        assert old == {
            **AE_CREATED,
            "resolution_date": None,
            "patient_id": str(patient_id),
            "site_id": str(world.sev),
        }

    def test_rolled_back_writes_leave_no_entries(self, world: World):
        """Entries share the writer's transaction: a write rolled back after its flush leaves none."""
        patient_id = world.register("P-1", "SEV")
        actor = world.actor(Role.COORDINATOR, "SEV")
        before = world.audit_count()

        def fail_after_flush() -> None:
            with world.session(actor) as session:
                events.create_row(session, model=AdverseEvent, patient_id=patient_id, values=AE)
                raise RuntimeError("the caller fails after the flush")

        with pytest.raises(RuntimeError):
            fail_after_flush()
        assert world.audit_count() == before
        assert verify(world.store.engine).intact


class TestSecretsAndReads:
    def test_password_hashes_never_appear(self, world: World):
        """The trail records that a password hash was set or changed, never the hash or the password."""
        password = "long enough password"
        admin = world.actor(Role.ADMIN)
        with world.session(admin) as session:
            user = accounts.add_user(
                session,
                username="dm",
                full_name="D M",
                password=password,
                role=Role.DATA_MANAGER,
                site_code=None,
            )
        first_hash = user.password_hash
        with world.session(admin, reason="password reset") as session:
            stored = session.get(User, user.id)
            stored.password_hash = hash_password("another long password")
            second_hash = stored.password_hash
        entries = world.audit_rows(entity="users", username=admin.username)
        texts = [e[key] or "" for e in entries for key in ("old_value", "new_value")]
        for secret in (first_hash, second_hash, password, "another long password"):
            assert not any(secret in text for text in texts)
        changes = [
            (e["action"], e["old_value"], e["new_value"]) for e in entries if e["field"] == "password_hash"
        ]
        assert changes == [("create", None, "(changed)"), ("update", "(set)", "(changed)")]

    def test_reading_identifiers_is_logged(self, world: World):
        """read_identifiers writes a 'read identifiers' entry naming the reader, row and site."""
        patient_id = world.register("P-1", "SNU", identifiers={"full_name": "Park Ji-woo"})
        reader = world.actor(Role.INVESTIGATOR, "SNU")
        before = world.audit_count()
        with world.session(reader) as session:
            identifiers = patients.read_identifiers(session, patient_id=patient_id)
        (entry,) = world.audit_rows()[before:]
        assert (entry["action"], entry["entity"], entry["entity_id"]) == (
            "read identifiers",
            "patient_identifiers",
            identifiers.id,
        )
        assert (entry["username"], entry["user_id"], entry["site_id"]) == (
            reader.username,
            reader.user_id,
            world.snu,
        )

    def test_refused_identifier_read_is_not_logged(self, world: World):
        """A study role refused the identifiers leaves no 'read identifiers' entry."""
        patient_id = world.register("P-1", "SNU", identifiers={"full_name": "Park Ji-woo"})
        with world.session(world.actor(Role.MONITOR)) as session, pytest.raises(NotFound):
            patients.read_identifiers(session, patient_id=patient_id)
        assert world.audit_rows(action="read identifiers") == []


class TestChain:
    def test_intact_after_mixed_workload(self, world: World):
        """After accounts, creates, updates, deletes, reads and an enrollment the chain verifies intact."""
        mixed_workload(world)
        entries = world.audit_rows()
        report = verify(world.store.engine)
        assert report.intact, report.problem
        assert (report.entries, report.broken_at, report.problem) == (len(entries), None, None)
        assert {e["action"] for e in entries} == {"create", "update", "delete", "read identifiers"}
        assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
        assert entries[0]["prev_hash"] == GENESIS
        for previous, entry in itertools.pairwise(entries):
            assert entry["prev_hash"] == previous["hash"]

    def test_small_batches_verify_the_same(self, world: World):
        """Verification reading the trail in small batches reaches the same verdict."""
        mixed_workload(world)
        with world.store.engine.connect() as connection:
            assert verify_chain(connection, batch=3) == verify_chain(connection)

    def test_concurrent_writers_extend_one_chain(self, world: World):
        """Two transactions writing at once are serialised onto one unbroken chain."""
        first = world.register("P-1", "SEV")
        second = world.register("P-2", "SEV")
        problems: list[BaseException] = []

        def write_second() -> None:
            try:
                add_ae(world, second)
            except BaseException as error:  # reported to the main thread
                problems.append(error)

        with world.session(world.actor(Role.COORDINATOR, "SEV")) as session:
            events.create_row(session, model=AdverseEvent, patient_id=first, values=AE)
            writer = threading.Thread(target=write_second)
            writer.start()
            time.sleep(0.3)
        writer.join(timeout=30)
        assert not writer.is_alive()
        assert problems == []
        report = verify(world.store.engine)
        assert report.intact, report.problem
        assert len(world.audit_rows(entity="adverse_events")) == 2 * len(AE_CREATED) + 4


class TestTampering:
    def test_altered_entry_is_reported(self, world: World):
        """Changing one entry's value (after lifting the database guard) breaks the chain at that entry."""
        mixed_workload(world)
        target = world.audit_rows()[6]["seq"]
        with world.store.engine.begin() as connection:
            unlock_audit(connection)
            connection.exec_driver_sql(
                f"UPDATE audit_entries SET new_value = '\"tampered\"' WHERE seq = {int(target)}"
            )
        report = verify(world.store.engine)
        assert (report.broken_at, report.entries) == (target, target - 1)
        assert "altered" in report.problem

    def test_deleted_entry_is_reported(self, world: World):
        """Removing one entry from the middle of the trail is reported as missing at its sequence number."""
        mixed_workload(world)
        target = world.audit_rows()[10]["seq"]
        with world.store.engine.begin() as connection:
            unlock_audit(connection)
            connection.exec_driver_sql(f"DELETE FROM audit_entries WHERE seq = {int(target)}")
        report = verify(world.store.engine)
        assert report.broken_at == target
        assert "missing" in report.problem

    def test_rehashed_forgery_is_reported_at_the_entry_by_its_mac(self, world: World):
        """An altered entry whose own hash is recomputed is named: its MAC no longer holds."""
        mixed_workload(world)
        entries = world.audit_rows()
        forged = dict(entries[4], new_value='"forged"')
        forged["hash"] = entry_hash(forged["prev_hash"], forged["seq"], _content(forged))
        with world.store.engine.begin() as connection:
            unlock_audit(connection)
            connection.exec_driver_sql(
                "UPDATE audit_entries SET new_value = '\"forged\"', hash = '{}' WHERE seq = {}".format(
                    forged["hash"], int(forged["seq"])
                )
            )
        report = verify(world.store.engine)
        assert report.broken_at == entries[4]["seq"]
        assert "MAC does not match" in report.problem


class TestAppendOnly:
    def test_update_and_delete_fail(self, world: World):
        """A plain UPDATE or DELETE of audit entries fails in the database and changes nothing."""
        before = world.audit_rows()
        for statement in (
            "UPDATE audit_entries SET new_value = 'x' WHERE seq = 1",
            "UPDATE audit_entries SET reason = 'x'",
            "DELETE FROM audit_entries WHERE seq = 1",
            "DELETE FROM audit_entries",
        ):
            with pytest.raises(DBAPIError, match="append-only"), world.store.engine.begin() as connection:
                connection.exec_driver_sql(statement)
        assert world.audit_rows() == before
        assert verify(world.store.engine).intact

    @ON_POSTGRESQL
    def test_truncate_fails_on_postgresql(self, world: World):
        """TRUNCATE of the audit table fails on PostgreSQL, even for the superuser."""
        before = world.audit_count()
        with pytest.raises(DBAPIError, match="append-only"), world.store.engine.begin() as connection:
            connection.exec_driver_sql("TRUNCATE audit_entries")
        assert world.audit_count() == before > 0

    @ON_POSTGRESQL
    def test_application_role_cannot_change_entries(self, world: World, postgres_server: Any):
        """A non-superuser role granted ALL on the tables still cannot update, delete, truncate or unguard."""
        with world.store.engine.begin() as connection:
            connection.exec_driver_sql(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') "
                "THEN CREATE ROLE app LOGIN; END IF; END $$"
            )
            connection.exec_driver_sql("GRANT ALL ON ALL TABLES IN SCHEMA public TO app")
        before = world.audit_rows()
        app = make_engine(postgres_server.url(world.store.engine.url.database, user="app"))
        try:
            with app.connect() as connection:
                assert connection.exec_driver_sql("SELECT current_user").scalar() == "app"
                assert connection.exec_driver_sql("SELECT count(*) FROM audit_entries").scalar() == len(
                    before
                )
            for statement, message in [
                ("UPDATE audit_entries SET new_value = 'x' WHERE seq = 1", "append-only"),
                ("DELETE FROM audit_entries WHERE seq = 1", "append-only"),
                ("TRUNCATE audit_entries", "append-only"),
                ("ALTER TABLE audit_entries DISABLE TRIGGER USER", "owner"),
            ]:
                with pytest.raises(DBAPIError, match=message), app.begin() as connection:
                    connection.exec_driver_sql(statement)
        finally:
            app.dispose()
        assert world.audit_rows() == before
