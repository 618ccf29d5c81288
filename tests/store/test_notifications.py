"""Notifications are written in the transaction of the event, to the right people, once, and each
user reads only their own inbox (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import inspect, select
from tests.store.helpers import AE, NCT, TODAY, World, attestations_of, example

from remission.errors import InputError
from remission.store import (
    AccessDenied,
    AdverseEvent,
    NotFound,
    NotificationKind,
    TreatmentPhaseRecord,
    answer_query,
    create_row,
    current_revision,
    enroll_patient,
    head_revision,
    list_notifications,
    mark_all_read,
    mark_read,
    notification_dict,
    notify,
    notify_overdue,
    open_query,
    read_preferences,
    set_preferences,
    unread_count,
    update_row,
)
from remission.store.migrations_api import alembic_config, upgrade
from remission.store.notification_models import Notification, OutboxMessage
from remission.store.vocabulary import Role

SEV_COORDINATOR = (Role.COORDINATOR, "SEV")
SEV_INVESTIGATOR = (Role.INVESTIGATOR, "SEV")
SNU_COORDINATOR = (Role.COORDINATOR, "SNU")
MONITOR = (Role.MONITOR, None)
#: A serious adverse event of INF-04 (born 2025-05-08), during induction.
SAE = {**AE, "onset_date": date(2025, 8, 10)}
DATA_MANAGER = (Role.DATA_MANAGER, None)


def actor(world: World, who: tuple[Role, str | None]):
    return world.actor(*who)


def inbox(world: World, who: tuple[Role, str | None], kind: NotificationKind | None = None) -> list[dict]:
    with world.session(actor(world, who)) as session:
        lines = [notification_dict(n) for n in list_notifications(session)]
    return [line for line in lines if kind is None or line["kind"] == kind.value]


def enrolled(world: World, study_id: str, site: str = "SEV") -> int:
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


def open_one(world: World, patient_id: int, text: str = "Please check the WBC.") -> int:
    with world.session(actor(world, MONITOR)) as session:
        return open_query(
            session,
            patient_id=patient_id,
            form="baseline",
            row_id=None,
            field="wbc_at_diagnosis_1e9_per_l",
            text=text,
        ).id


@pytest.fixture
def staff(world: World) -> None:
    """Coordinators and investigators of both sites, a monitor and a data manager exist."""
    for who in (SEV_COORDINATOR, SEV_INVESTIGATOR, SNU_COORDINATOR, MONITOR, DATA_MANAGER):
        actor(world, who)


@pytest.mark.usefixtures("staff")
class TestQueries:
    def test_a_query_opened_reaches_the_staff_of_the_patients_site_only(self, world: World):
        """A monitor's query reaches SEV's coordinator and investigator, not SNU's staff or the monitor."""
        patient = world.register("NQ-1", "SEV")
        query_id = open_one(world, patient)
        for who in (SEV_COORDINATOR, SEV_INVESTIGATOR):
            (line,) = inbox(world, who)
            assert line["kind"] == "query opened"
            assert line["link"] == f"/queries/{query_id}"
            assert "NQ-1" in line["summary"]
            assert not line["read"]
        assert inbox(world, SNU_COORDINATOR) == []
        assert inbox(world, MONITOR) == []

    def test_the_summary_carries_no_free_text(self, world: World):
        """The query's words stay in the query: the notification names the item only."""
        patient = world.register("NQ-2", "SEV")
        open_one(world, patient, text="Mother Jane Doe says the count was 12")
        (line,) = inbox(world, SEV_COORDINATOR)
        assert "Jane" not in line["summary"]
        assert "wbc_at_diagnosis_1e9_per_l" in line["summary"]

    def test_an_answer_reaches_the_person_who_asked(self, world: World):
        """The coordinator's answer reaches the monitor who opened the query, not the data manager."""
        patient = world.register("NQ-3", "SEV")
        query_id = open_one(world, patient)
        with world.session(actor(world, SEV_COORDINATOR)) as session:
            answer_query(session, query_id=query_id, version=1, text="Checked.")
        (line,) = inbox(world, MONITOR, NotificationKind.QUERY_ANSWERED)
        assert line["link"] == f"/queries/{query_id}"
        assert inbox(world, DATA_MANAGER) == []

    def test_a_rolled_back_write_tells_nobody(self, world: World):
        """A query opened in a transaction that fails leaves no notification."""
        patient = world.register("NQ-4", "SEV")

        def open_then_fail() -> None:
            with world.session(actor(world, MONITOR)) as session:
                open_query(session, patient_id=patient, form="baseline", row_id=None, field=None, text="x")
                raise RuntimeError("the request failed after the write")

        with pytest.raises(RuntimeError):
            open_then_fail()
        assert inbox(world, SEV_COORDINATOR) == []


@pytest.mark.usefixtures("staff")
class TestInbox:
    def test_a_user_marks_only_their_own_notification_read(self, world: World):
        """The investigator cannot see or mark the coordinator's line (NotFound); the coordinator can."""
        open_one(world, world.register("NI-1", "SEV"))
        (line,) = inbox(world, SEV_COORDINATOR)
        with pytest.raises(NotFound), world.session(actor(world, SNU_COORDINATOR)) as session:
            mark_read(session, notification_id=line["id"])
        with world.session(actor(world, SEV_COORDINATOR)) as session:
            assert unread_count(session) == 1
            assert mark_read(session, notification_id=line["id"]).read_at is not None
            assert unread_count(session) == 0
        with world.session(actor(world, SEV_INVESTIGATOR)) as session:
            assert unread_count(session) == 1  # their own line is still unread

    def test_the_session_keeps_other_users_lines_out_of_every_read(self, world: World):
        """Even an unfiltered SELECT in a user's session returns only that user's notifications."""
        open_one(world, world.register("NI-2", "SEV"))
        coordinator = actor(world, SEV_COORDINATOR)
        with world.session(coordinator) as session:
            owners = set(session.scalars(select(Notification.user_id)))
            assert owners == {coordinator.user_id}
            assert list(session.scalars(select(OutboxMessage))) == []

    def test_mark_all_read(self, world: World):
        """Marking all read clears the unread count and says how many it marked."""
        patient = world.register("NI-3", "SEV")
        open_one(world, patient)
        open_one(world, patient)
        with world.session(actor(world, SEV_COORDINATOR)) as session:
            assert mark_all_read(session) == 2
            assert unread_count(session) == 0

    def test_the_system_has_no_inbox(self, world: World):
        """An actor without a user account is refused an inbox."""
        with pytest.raises(AccessDenied), world.session(world.system) as session:
            list_notifications(session)


@pytest.mark.usefixtures("staff")
class TestPreferences:
    def test_defaults_put_everything_in_the_inbox_and_urgent_kinds_in_e_mail(self, world: World):
        """Without choices every kind is in the inbox; e-mail for queries, SAEs and signatures only."""
        with world.session(actor(world, SEV_COORDINATOR)) as session:
            chosen = read_preferences(session)
        assert chosen.email is None
        assert all(in_app for in_app, _ in chosen.kinds.values())
        assert chosen.kinds[NotificationKind.SERIOUS_ADVERSE_EVENT] == (True, True)
        assert chosen.kinds[NotificationKind.ASSESSMENT_OVERDUE] == (True, False)

    def test_a_kind_turned_off_in_the_inbox_is_not_written_there(self, world: World):
        """A coordinator who turns query notifications off gets none; the investigator still does."""
        with world.session(actor(world, SEV_COORDINATOR)) as session:
            set_preferences(session, kinds={"query opened": (False, False)})
        open_one(world, world.register("NP-1", "SEV"))
        assert inbox(world, SEV_COORDINATOR) == []
        assert len(inbox(world, SEV_INVESTIGATOR)) == 1

    def test_e_mail_goes_to_the_outbox_with_an_address_only(self, world: World):
        """With an address an e-mail is queued in the same transaction; without one, none."""
        with world.session(actor(world, SEV_COORDINATOR)) as session:
            set_preferences(session, email="coordinator@sev.example")
        open_one(world, world.register("NP-2", "SEV"))
        with world.session(world.system) as session:
            (message,) = session.scalars(select(OutboxMessage))
        assert message.to_address == "coordinator@sev.example"
        assert message.state == "pending"
        assert message.attempts == 0

    @pytest.mark.parametrize(
        ("values", "field"),
        [
            ({"kinds": {"everything": (True, True)}}, "kinds"),
            ({"email": "not an address"}, "email"),
            ({"email": "a@b.example\r\nBcc: x@y.example"}, "email"),
        ],
    )
    def test_bad_preferences_name_the_field_and_store_nothing(self, world: World, values, field):
        """An unknown kind or a malformed address is refused naming the field; nothing changes."""
        with pytest.raises(InputError) as refused, world.session(actor(world, SEV_COORDINATOR)) as session:
            set_preferences(session, **values)
        assert refused.value.problems[0].field == field
        with world.session(actor(world, SEV_COORDINATOR)) as session:
            assert read_preferences(session).email is None


@pytest.mark.usefixtures("staff")
class TestEvents:
    def test_enrollment_assigns_a_risk_group_and_tells_the_site(self, world: World):
        """The risk assignment stored at enrollment is in the site staff's inbox, with the group."""
        enrolled(world, "NE-1")
        (line,) = inbox(world, SEV_COORDINATOR, NotificationKind.RISK_GROUP)
        assert line["summary"].startswith("Risk group of NE-1 under NCT06516679 assigned:")

    def test_a_serious_adverse_event_carries_the_protocol_deadline(self, world: World):
        """An SAE of an enrolled child reaches site staff and reviewers, due 24 h after entry."""
        patient = enrolled(world, "NE-2")
        with world.session(actor(world, SEV_COORDINATOR)) as session:
            row = create_row(session, model=AdverseEvent, patient_id=patient, values=dict(SAE), today=TODAY)
            entered = row.created_at
        for who in (SEV_COORDINATOR, SEV_INVESTIGATOR, DATA_MANAGER, MONITOR):
            (line,) = inbox(world, who, NotificationKind.SERIOUS_ADVERSE_EVENT)
            hours = (date.fromisoformat(line["deadline_at"][:10]) - entered.date()).days * 24
            assert 0 <= hours <= 24
            assert 23 * 3600 < line["seconds_left"] <= 24 * 3600
        assert inbox(world, SNU_COORDINATOR) == []

    def test_an_event_changed_to_serious_notifies_once(self, world: World):
        """A non-serious event notifies nobody; changing it to serious notifies once."""
        patient = enrolled(world, "NE-3")
        with world.session(actor(world, SEV_COORDINATOR)) as session:
            row = create_row(
                session, model=AdverseEvent, patient_id=patient, values={**SAE, "serious": False}, today=TODAY
            )
            row_id = row.id
        assert inbox(world, SEV_INVESTIGATOR, NotificationKind.SERIOUS_ADVERSE_EVENT) == []
        with world.session(actor(world, SEV_COORDINATOR), reason="now serious") as session:
            update_row(
                session, model=AdverseEvent, patient_id=patient, row_id=row_id, version=1,
                values={"serious": True}, today=TODAY,
            )  # fmt: skip
        assert len(inbox(world, SEV_INVESTIGATOR, NotificationKind.SERIOUS_ADVERSE_EVENT)) == 1

    def test_notify_is_the_entry_point_for_a_signature_invalidated(self, world: World):
        """``notify`` with the signature kind reaches the named user only, about the patient."""
        patient = world.register("NE-4", "SEV")
        investigator = actor(world, SEV_INVESTIGATOR)
        with world.session(actor(world, SEV_COORDINATOR)) as session:
            notify(
                session,
                kind=NotificationKind.SIGNATURE_INVALIDATED,
                summary="Signature on NE-4's risk assignment invalidated by a change: re-signature needed.",
                recipients=[investigator.user_id],
                patient_id=patient,
                link=f"/patients/{patient}",
            )
        (line,) = inbox(world, SEV_INVESTIGATOR, NotificationKind.SIGNATURE_INVALIDATED)
        assert line["study_id"] == "NE-4"
        assert inbox(world, SEV_COORDINATOR, NotificationKind.SIGNATURE_INVALIDATED) == []


@pytest.mark.usefixtures("staff")
class TestOverdue:
    def test_each_overdue_assessment_is_told_once(self, world: World):
        """The scan tells site staff of an overdue item; a second scan on a later day writes nothing."""
        patient = enrolled(world, "NO-1")
        induction = {
            "phase_id": "induction",
            "actual_start": date(2025, 7, 23),
            "actual_end": date(2025, 8, 26),
        }
        with world.session(world.system) as session:
            create_row(session, model=TreatmentPhaseRecord, patient_id=patient, values=induction, today=TODAY)
        with world.session(world.system) as session:
            first = notify_overdue(session, as_of=date(2025, 10, 1))
        with world.session(world.system) as session:
            again = notify_overdue(session, as_of=date(2025, 10, 2))
        lines = inbox(world, SEV_COORDINATOR, NotificationKind.ASSESSMENT_OVERDUE)
        assert first >= 2
        assert again == 0
        assert any("MRD" in line["summary"] for line in lines)
        assert len(lines) == first // 2

    def test_only_the_system_runs_the_scan(self, world: World):
        """A data manager is refused the overdue scan (it writes for every site's staff)."""
        with pytest.raises(AccessDenied), world.session(actor(world, DATA_MANAGER)) as session:
            notify_overdue(session, as_of=date(2025, 10, 1))


class TestMigration0013:
    def test_downgrade_drops_and_upgrade_restores_the_tables(self, world: World):
        """Migration 0013 adds the four tables and its downgrade removes them, on both back ends."""
        tables = {
            "notifications",
            "notification_preferences",
            "notification_addresses",
            "notification_outbox",
        }
        config = alembic_config(world.store.engine)
        with world.store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0012")
        assert not tables & set(inspect(world.store.engine).get_table_names())
        upgrade(world.store.engine)
        assert current_revision(world.store.engine) == head_revision(world.store.engine)
        assert tables <= set(inspect(world.store.engine).get_table_names())
