"""The e-mail outbox over a real SMTP exchange (aiosmtpd on a loopback port), on SQLite and
PostgreSQL: sent once, retried with backoff, never carrying identifiers, and surviving a SIGKILL
of the worker process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from tests.store.helpers import TODAY, World, example
from tests.store.test_notifications import SAE, SEV_COORDINATOR, enrolled, open_one
from tests.support.smtp import Mailbox, smtp_server

from remission.store import (
    AdverseEvent,
    MailSettings,
    OutboxState,
    create_row,
    send_outbox,
    set_preferences,
)
from remission.store.base import utc_now
from remission.store.notification_models import OutboxMessage
from remission.store.vocabulary import Role

NAME, MRN, CONTACT = "Jane Quinn Doe", "MRN-8841207", "010-5555-0199"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as running:
        yield running


def settings_for(port: int, **changes: object) -> MailSettings:
    env = {
        "REMISSION_ENV": "test",
        "REMISSION_SMTP_PORT": str(port),
        "REMISSION_SMTP_TIMEOUT_SECONDS": "3",
        "REMISSION_NOTIFY_LEASE_SECONDS": "4",
        "REMISSION_NOTIFY_POLL_SECONDS": "0.2",
        "REMISSION_PUBLIC_URL": "https://remission.example",
    }
    env.update({key: str(value) for key, value in changes.items()})
    return MailSettings.from_environment(env)


def with_address(world: World) -> None:
    """The SEV coordinator wants e-mail at an address; everyone else has none."""
    with world.session(world.actor(*SEV_COORDINATOR)) as session:
        set_preferences(session, email="coordinator@sev.example")


def outbox(world: World) -> list[OutboxMessage]:
    with world.session(world.system) as session:
        rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        session.expunge_all()
    return rows


class TestSending:
    def test_each_message_is_sent_once_with_its_message_id(self, world: World, smtp):
        """Two queued e-mails arrive once each, with the outbox's Message-IDs; a second pass sends nothing."""
        mailbox, port = smtp
        with_address(world)
        patient = world.register("OB-1", "SEV")
        open_one(world, patient)
        open_one(world, patient)
        run = send_outbox(world.store, settings_for(port))
        assert (run.sent, run.retried, run.failed) == (2, 0, 0)
        assert sorted(mailbox.message_ids()) == sorted(row.message_id for row in outbox(world))
        assert all(row.state is OutboxState.SENT and row.attempts == 1 for row in outbox(world))
        assert send_outbox(world.store, settings_for(port)).sent == 0
        assert len(mailbox.received) == 2
        (first, _) = mailbox.received
        assert first["To"] == "coordinator@sev.example"
        assert "https://remission.example/queries/" in first.get_content()

    def test_a_temporary_refusal_is_retried_later_with_the_error_kept(self, world: World, smtp):
        """A 451 leaves the message pending, attempt 1, the reply kept, next try about a minute on."""
        mailbox, port = smtp
        with_address(world)
        open_one(world, world.register("OB-2", "SEV"))
        mailbox.refuse_with("451 Try again later")
        before = utc_now()
        assert send_outbox(world.store, settings_for(port)).retried == 1
        (row,) = outbox(world)
        assert (row.state, row.attempts) == (OutboxState.PENDING, 1)
        assert "451" in (row.last_error or "")
        assert before + timedelta(seconds=55) < row.next_attempt_at < utc_now() + timedelta(seconds=65)
        assert send_outbox(world.store, settings_for(port)).sent == 0  # not due yet

    def test_a_permanent_refusal_fails_the_message(self, world: World, smtp):
        """A 550 reply gives the message up at once: failed, with the reply kept."""
        mailbox, port = smtp
        with_address(world)
        open_one(world, world.register("OB-3", "SEV"))
        mailbox.refuse_with("550 No such user")
        assert send_outbox(world.store, settings_for(port)).failed == 1
        (row,) = outbox(world)
        assert row.state is OutboxState.FAILED
        assert "550" in (row.last_error or "")

    def test_an_unreachable_server_is_retried(self, world: World):
        """No server listening: the message stays pending with the connection error."""
        with_address(world)
        open_one(world, world.register("OB-4", "SEV"))
        from tests.support.smtp import free_port

        assert send_outbox(world.store, settings_for(free_port())).retried == 1
        (row,) = outbox(world)
        assert row.state is OutboxState.PENDING
        assert "Connection" in (row.last_error or "")


class TestNoIdentifiers:
    def test_no_e_mail_carries_a_name_a_birth_date_a_record_number_or_free_text(self, world: World, smtp):
        """E-mails of a query and an SAE about a child with identifiers name the study id only."""
        mailbox, port = smtp
        with_address(world)
        record = example("INF-04")
        identifiers = {"full_name": NAME, "medical_record_number": MRN, "contact": CONTACT}
        patient = world.register("OB-ID", "SEV", record=record, identifiers=identifiers)
        enroll(world, patient, record)
        open_one(world, patient, text=f"Is {NAME} ({MRN}) born on {record['patient']['date_of_birth']}?")
        with world.session(world.actor(Role.INVESTIGATOR, "SEV")) as session:
            create_row(session, model=AdverseEvent, patient_id=patient, values=dict(SAE), today=TODAY)
        assert send_outbox(world.store, settings_for(port)).sent >= 2
        kinds = {message["Subject"].split(":")[0] for message in mailbox.received}
        assert {"[remission] query opened", "[remission] serious adverse event"} <= kinds
        born = date.fromisoformat(record["patient"]["date_of_birth"])
        forbidden = [
            NAME,
            "Jane",
            "Doe",
            MRN,
            "8841207",
            CONTACT,
            born.isoformat(),
            born.strftime("%d/%m/%Y"),
        ]
        forbidden += [SAE["onset_date"].isoformat(), "Febrile"]
        for raw in mailbox.raw:
            text = raw.decode("utf-8", "replace")
            assert "OB-ID" in text
            assert [word for word in forbidden if word in text] == []

    def test_the_sae_e_mail_gives_the_reporting_deadline(self, world: World, smtp):
        """The SAE e-mail says by when (UTC) it must be reported, and which protocol parameter says so."""
        mailbox, port = smtp
        with_address(world)
        patient = enrolled(world, "OB-SAE")
        with world.session(world.actor(Role.INVESTIGATOR, "SEV")) as session:
            create_row(session, model=AdverseEvent, patient_id=patient, values=dict(SAE), today=TODAY)
        send_outbox(world.store, settings_for(port))
        (message,) = [m for m in mailbox.received if "serious adverse event" in m["Subject"]]
        body = message.get_content()
        deadline = utc_now() + timedelta(hours=24)
        assert f"by {deadline:%Y-%m-%d}" in body or f"by {(deadline - timedelta(minutes=5)):%Y-%m-%d}" in body
        assert "within 24 hours" in body
        assert "sae_report_hours" in body


def enroll(world: World, patient_id: int, record: dict) -> None:
    from tests.store.helpers import NCT, attestations_of

    from remission.store import enroll_patient

    with world.session(world.system) as session:
        enroll_patient(
            session,
            patient_id=patient_id,
            protocol_id=NCT,
            enrolled_on=date.fromisoformat(record["study_entry_date"]),
            attestations=attestations_of(record),
        )


def start_worker(url: str, port: int, *extra: str) -> subprocess.Popen[str]:
    """``remission notify worker`` in a process of its own, against the test's server and database."""
    env = {
        **os.environ,
        "REMISSION_ENV": "test",
        "REMISSION_SMTP_HOST": "127.0.0.1",
        "REMISSION_SMTP_PORT": str(port),
        "REMISSION_SMTP_TIMEOUT_SECONDS": "3",
        "REMISSION_NOTIFY_LEASE_SECONDS": "4",
        "REMISSION_NOTIFY_POLL_SECONDS": "0.2",
    }
    command = [sys.executable, "-m", "remission", "notify", "worker", "--database", url, *extra]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class TestWorkerKilled:
    def test_a_sigkill_mid_send_loses_nothing_and_doubles_nothing(
        self, world: World, database_url: str, smtp
    ):
        """Killed while the server holds the 2nd of 3 messages unanswered, the worker leaves one sent, one
        claimed and one pending; after the claim lapses a new worker sends the other two, each once."""
        mailbox, port = smtp
        with_address(world)
        patient = world.register("OB-K", "SEV")
        for _ in range(3):
            open_one(world, patient)
        mailbox.hold_at(1)
        worker = start_worker(database_url, port)
        try:
            assert mailbox.holding.wait(60), "the worker never reached the second message"
        finally:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(30)
        assert worker.returncode == -signal.SIGKILL
        states = [(row.state, row.attempts) for row in outbox(world)]
        assert states == [(OutboxState.SENT, 1), (OutboxState.SENDING, 1), (OutboxState.PENDING, 0)]
        held = outbox(world)[1]
        assert len(mailbox.received) == 1  # the held message was never accepted
        while utc_now() <= held.claimed_until:  # the dead worker's claim must lapse first
            time.sleep(0.2)
        again = start_worker(database_url, port, "--once")
        _stdout, stderr = again.communicate(timeout=60)
        assert again.returncode == 0, stderr
        rows = outbox(world)
        assert [(row.state, row.attempts) for row in rows] == [
            (OutboxState.SENT, 1), (OutboxState.SENT, 2), (OutboxState.SENT, 1),
        ]  # fmt: skip
        assert sorted(mailbox.message_ids()) == sorted(row.message_id for row in rows)
        rerun = start_worker(database_url, port, "--once")
        assert rerun.wait(60) == 0
        assert len(mailbox.received) == 3

    def test_a_live_claim_is_not_taken_by_a_second_worker(self, world: World, database_url: str, smtp):
        """While one worker holds a message under its claim, a second worker's pass sends nothing."""
        mailbox, port = smtp
        with_address(world)
        open_one(world, world.register("OB-L", "SEV"))
        mailbox.hold_at(0)
        worker = start_worker(database_url, port)
        try:
            assert mailbox.holding.wait(60)
            assert send_outbox(world.store, settings_for(port)).sent == 0
            (row,) = outbox(world)
            assert row.state is OutboxState.SENDING
        finally:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(30)
