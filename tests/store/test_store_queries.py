"""Data queries in the store: the state machine, who may take each step, site isolation, the audit
trail, and automatic queries raised by edit checks — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, select
from tests.store.helpers import AE, World

from remission.errors import InputError
from remission.store import events, queries
from remission.store.actor import AccessDenied, Actor
from remission.store.errors import Conflict, NotFound, VersionConflict
from remission.store.migrations_api import alembic_config, current_revision, head_revision, upgrade
from remission.store.models import AdverseEvent
from remission.store.query_models import DataQuery, QueryAction, QueryMessage, QueryState
from remission.store.vocabulary import Role

DM = (Role.DATA_MANAGER, None)
MONITOR = (Role.MONITOR, None)
COORDINATOR = (Role.COORDINATOR, "SEV")
INVESTIGATOR = (Role.INVESTIGATOR, "SEV")


def actor(world: World, who: tuple[Role, str | None]) -> Actor:
    return world.actor(*who)


@pytest.fixture
def patient(world: World) -> int:
    return world.register("SEV-1", "SEV")


@pytest.fixture
def ae_id(world: World, patient: int) -> int:
    with world.session(actor(world, COORDINATOR)) as session:
        return events.create_row(session, model=AdverseEvent, patient_id=patient, values=AE).id


def open_one(world: World, patient: int, ae_id: int, who: tuple[Role, str | None] = DM) -> int:
    with world.session(actor(world, who)) as session:
        query = queries.open_query(
            session, patient_id=patient, form="adverse-events", row_id=ae_id, field="grade", text="Grade 3?"
        )
        return query.id


def step(world: World, who: tuple[Role, str | None], action: str, query_id: int, version: int) -> DataQuery:
    function = {"answer": queries.answer_query, "close": queries.close_query, "reopen": queries.reopen_query}
    with world.session(actor(world, who)) as session:
        query = function[action](session, query_id=query_id, version=version, text=f"{action} text")
        session.expunge(query)
        return query


def state_of(world: World, query_id: int) -> tuple[QueryState, int]:
    with world.session(world.system) as session:
        query = queries.get_query(session, query_id=query_id)
        return query.state, query.version


class TestOpening:
    def test_a_data_manager_opens_a_query_on_a_field(self, world: World, patient: int, ae_id: int):
        """The query starts open, on the item named, with one 'open' message by the data manager."""
        query_id = open_one(world, patient, ae_id)
        with world.session(actor(world, DM)) as session:
            query = queries.get_query(session, query_id=query_id)
            assert (query.state, query.form, query.row_id, query.field) == (
                QueryState.OPEN,
                "adverse-events",
                ae_id,
                "grade",
            )
            assert [(m.action, m.username, m.text) for m in query.messages] == [
                (QueryAction.OPEN, "data_manager-study", "Grade 3?")
            ]
            assert query.messages[0].at.tzinfo is not None
            assert query.check_id is None

    def test_a_monitor_opens_a_query(self, world: World, patient: int, ae_id: int):
        """A monitor, who may write nothing else, may open a query."""
        query_id = open_one(world, patient, ae_id, MONITOR)
        assert state_of(world, query_id) == (QueryState.OPEN, 1)

    def test_the_monitor_still_writes_no_clinical_row(self, world: World, patient: int):
        """Letting the monitor write query rows lets it write nothing else."""
        with pytest.raises(AccessDenied), world.session(actor(world, MONITOR)) as session:
            events.create_row(session, model=AdverseEvent, patient_id=patient, values=AE)

    @pytest.mark.parametrize(
        "who",
        [COORDINATOR, INVESTIGATOR, (Role.ADMIN, None), (Role.STATISTICIAN, None)],
        ids=lambda who: who[0].value,
    )
    def test_other_roles_may_not_open_a_query(self, world: World, patient: int, ae_id: int, who):
        """Only a data manager or monitor opens a query by hand."""
        with pytest.raises(AccessDenied):
            open_one(world, patient, ae_id, who)

    def test_another_sites_patient_is_not_found(self, world: World, ae_id: int):
        """A coordinator of another site cannot even find the patient (an edit-check query)."""
        other = world.register("SNU-1", "SNU")
        with pytest.raises(NotFound), world.session(actor(world, COORDINATOR)) as session:
            queries.open_query(
                session, patient_id=other, form="mrd", row_id=None, field=None, text="x", check_id="c1"
            )

    @pytest.mark.parametrize(
        ("form", "row", "field", "problem_field"),
        [
            ("labs", None, None, "form"),
            ("adverse-events", None, "colour", "field"),
            ("baseline", 1, None, "row_id"),
            ("baseline", None, "favourite_colour", "field"),
        ],
    )
    def test_a_bad_item_names_the_field(self, world: World, patient: int, form, row, field, problem_field):
        """An unknown form or field, or a row on the baseline, is refused naming what is wrong."""
        with pytest.raises(InputError) as raised, world.session(actor(world, DM)) as session:
            queries.open_query(session, patient_id=patient, form=form, row_id=row, field=field, text="x")
        assert [problem.field for problem in raised.value.problems] == [problem_field]

    def test_an_empty_text_is_refused(self, world: World, patient: int):
        """A query must say what it asks."""
        with pytest.raises(InputError) as raised, world.session(actor(world, DM)) as session:
            queries.open_query(
                session, patient_id=patient, form="baseline", row_id=None, field=None, text="  "
            )
        assert raised.value.problems[0].field == "text"

    def test_a_row_of_another_patient_is_not_found(self, world: World, patient: int, ae_id: int):
        """The row must be the patient's."""
        other = world.register("SEV-2", "SEV")
        with pytest.raises(NotFound), world.session(actor(world, DM)) as session:
            queries.open_query(
                session, patient_id=other, form="adverse-events", row_id=ae_id, field=None, text="x"
            )

    def test_a_query_on_a_baseline_path(self, world: World, patient: int):
        """A baseline query names a dotted path in the baseline record."""
        with world.session(actor(world, DM)) as session:
            query = queries.open_query(
                session,
                patient_id=patient,
                form="baseline",
                row_id=None,
                field="diagnosis.immunophenotype",
                text="Confirm",
            )
            assert query.field == "diagnosis.immunophenotype"


class TestStateMachine:
    def test_open_answered_closed_reopened_answered_closed(self, world: World, patient: int, ae_id: int):
        """The whole cycle, each step one more message, each a new version."""
        query_id = open_one(world, patient, ae_id)
        assert step(world, COORDINATOR, "answer", query_id, 1).state is QueryState.ANSWERED
        assert step(world, DM, "close", query_id, 2).state is QueryState.CLOSED
        assert step(world, MONITOR, "reopen", query_id, 3).state is QueryState.REOPENED
        assert step(world, INVESTIGATOR, "answer", query_id, 4).state is QueryState.ANSWERED
        assert step(world, MONITOR, "close", query_id, 5).state is QueryState.CLOSED
        with world.session(actor(world, DM)) as session:
            actions = [m.action for m in queries.get_query(session, query_id=query_id).messages]
        assert actions == ["open", "answer", "close", "re-open", "answer", "close"]

    def test_an_answered_query_may_be_reopened(self, world: World, patient: int, ae_id: int):
        """An answer that does not resolve the question is sent back."""
        query_id = open_one(world, patient, ae_id)
        step(world, COORDINATOR, "answer", query_id, 1)
        assert step(world, DM, "reopen", query_id, 2).state is QueryState.REOPENED

    def test_an_open_query_may_be_closed(self, world: World, patient: int, ae_id: int):
        """A query raised in error (or whose check is satisfied) is closed without an answer."""
        query_id = open_one(world, patient, ae_id)
        assert step(world, DM, "close", query_id, 1).state is QueryState.CLOSED

    @pytest.mark.parametrize(
        ("steps", "refused", "state"),
        [
            ((), "reopen", "open"),
            ((("answer", COORDINATOR),), "answer", "answered"),
            ((("close", DM),), "answer", "closed"),
            ((("close", DM),), "close", "closed"),
            ((("close", DM), ("reopen", DM)), "reopen", "re-opened"),
        ],
    )
    def test_a_wrong_step_is_a_conflict_naming_the_state(
        self, world: World, patient: int, ae_id: int, steps, refused, state
    ):
        """A step the state does not allow is a Conflict whose message names the state; nothing changes."""
        query_id = open_one(world, patient, ae_id)
        for version, (action, who) in enumerate(steps, start=1):
            step(world, who, action, query_id, version)
        before = state_of(world, query_id)
        with pytest.raises(Conflict, match=f"is {state}"):
            step(world, DM if refused != "answer" else COORDINATOR, refused, query_id, len(steps) + 1)
        assert state_of(world, query_id) == before

    def test_a_stale_version_is_a_version_conflict(self, world: World, patient: int, ae_id: int):
        """Two people acting on one query: the second, reading version 1, is told it changed."""
        query_id = open_one(world, patient, ae_id)
        step(world, COORDINATOR, "answer", query_id, 1)
        with pytest.raises(VersionConflict):
            step(world, DM, "close", query_id, 1)


class TestWhoMayStep:
    @pytest.mark.parametrize(
        "who", [MONITOR, (Role.ADMIN, None), (Role.STATISTICIAN, None), (Role.COORDINATOR, "SNU")]
    )
    def test_only_writers_of_the_site_answer(self, world: World, patient: int, ae_id: int, who):
        """A monitor, admin, statistician or another site's coordinator may not answer."""
        query_id = open_one(world, patient, ae_id)
        with pytest.raises((AccessDenied, NotFound)):
            step(world, who, "answer", query_id, 1)
        assert state_of(world, query_id) == (QueryState.OPEN, 1)

    def test_a_data_manager_may_answer(self, world: World, patient: int, ae_id: int):
        """The data manager writes every site's data, so it may answer too."""
        query_id = open_one(world, patient, ae_id)
        assert step(world, DM, "answer", query_id, 1).state is QueryState.ANSWERED

    @pytest.mark.parametrize("action", ["close", "reopen"])
    @pytest.mark.parametrize("who", [COORDINATOR, INVESTIGATOR, (Role.ADMIN, None)], ids=lambda w: w[0].value)
    def test_site_staff_may_not_close_or_reopen(self, world: World, patient: int, ae_id: int, who, action):
        """Closing and re-opening belong to the data manager and monitor."""
        query_id = open_one(world, patient, ae_id)
        step(world, COORDINATOR, "answer", query_id, 1)
        with pytest.raises(AccessDenied):
            step(world, who, action, query_id, 2)

    def test_allowed_steps_follow_role_and_state(self, world: World, patient: int, ae_id: int):
        """What the forms offer: answer to site staff of an open query, close/re-open to reviewers."""
        query_id = open_one(world, patient, ae_id)
        with world.session(actor(world, COORDINATOR)) as session:
            query = queries.get_query(session, query_id=query_id)
            assert queries.allowed_steps(session.actor, query) == [QueryAction.ANSWER]
        with world.session(actor(world, MONITOR)) as session:
            query = queries.get_query(session, query_id=query_id)
            assert queries.allowed_steps(session.actor, query) == [QueryAction.CLOSE]


class TestIsolation:
    def test_another_sites_query_is_not_found(self, world: World, patient: int, ae_id: int):
        """A coordinator of SNU neither reads nor lists a SEV query."""
        query_id = open_one(world, patient, ae_id)
        with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
            with pytest.raises(NotFound):
                queries.get_query(session, query_id=query_id)
            assert queries.list_queries(session) == []
            assert queries.query_counts(session) == {}

    def test_messages_are_never_changed_or_deleted(self, world: World, patient: int, ae_id: int):
        """Even the data manager may not edit or delete a message or a query."""
        query_id = open_one(world, patient, ae_id)
        with world.session(actor(world, DM), reason="tidy") as session:
            message = session.scalars(select(QueryMessage).where(QueryMessage.query_id == query_id)).one()
            message.text = "something else"
            with pytest.raises(AccessDenied):
                session.flush()
            session.rollback()
        with world.session(actor(world, DM), reason="tidy") as session:
            session.delete(queries.get_query(session, query_id=query_id))
            with pytest.raises(AccessDenied):
                session.flush()
            session.rollback()
        assert state_of(world, query_id) == (QueryState.OPEN, 1)


class TestAudit:
    def test_every_step_is_in_the_audit_trail(self, world: World, patient: int, ae_id: int):
        """Opening writes the query and its message; each step writes the new state with a reason."""
        query_id = open_one(world, patient, ae_id)
        created = world.audit_rows(entity="data_queries", entity_id=query_id, action="create")
        assert {row["field"]: row["new_value"] for row in created}["state"] == '"open"'
        assert world.audit_rows(entity="data_query_messages", action="create")
        step(world, COORDINATOR, "answer", query_id, 1)
        (update,) = world.audit_rows(entity="data_queries", entity_id=query_id, action="update")
        assert (update["field"], update["old_value"], update["new_value"]) == (
            "state",
            '"open"',
            '"answered"',
        )
        assert update["username"] == "coordinator-sev"
        assert update["reason"] == "query answer"


class TestAutomaticQueries:
    def test_an_edit_check_opens_a_query_for_a_writer(self, world: World, patient: int, ae_id: int):
        """With check_id, the coordinator's write raises the query; it records the check."""
        with world.session(actor(world, COORDINATOR)) as session:
            query = queries.open_query(
                session,
                patient_id=patient,
                form="adverse-events",
                row_id=ae_id,
                field="onset_date",
                text="Onset before diagnosis",
                check_id="ae-onset",
            )
            assert query.check_id == "ae-onset"
            assert query.messages[0].automatic

    def test_a_monitor_cannot_cause_an_automatic_query(self, world: World, patient: int):
        """check_id is for writes of the patient's data; the statistician writes none."""
        with pytest.raises(AccessDenied), world.session(world.actor(Role.STATISTICIAN)) as session:
            queries.open_query(
                session, patient_id=patient, form="mrd", row_id=None, field=None, text="x", check_id="c"
            )

    def test_open_check_queries_lists_the_not_closed_ones_of_the_item(
        self, world: World, patient: int, ae_id: int
    ):
        """So the edit-check code does not open a duplicate; a closed one no longer counts."""
        with world.session(actor(world, COORDINATOR)) as session:
            first = queries.open_query(
                session,
                patient_id=patient,
                form="adverse-events",
                row_id=ae_id,
                field=None,
                text="a",
                check_id="c1",
            ).id
            queries.open_query(
                session,
                patient_id=patient,
                form="adverse-events",
                row_id=None,
                field=None,
                text="b",
                check_id="c1",
            )
            found = queries.open_check_queries(
                session, patient_id=patient, check_id="c1", form="adverse-events", row_id=ae_id
            )
            assert [query.id for query in found] == [first]
        step(world, DM, "close", first, 1)
        with world.session(actor(world, COORDINATOR)) as session:
            assert not queries.open_check_queries(
                session, patient_id=patient, check_id="c1", form="adverse-events", row_id=ae_id
            )

    def test_note_check_satisfied_records_once_and_leaves_it_open(self, world: World, patient: int):
        """The column is set, a system message added, the state unchanged; a second note does nothing."""
        with world.session(actor(world, COORDINATOR)) as session:
            query_id = queries.open_query(
                session, patient_id=patient, form="mrd", row_id=None, field=None, text="x", check_id="c2"
            ).id
        for _ in range(2):
            with world.session(actor(world, COORDINATOR)) as session:
                queries.note_check_satisfied(session, query_id=query_id)
        with world.session(actor(world, DM)) as session:
            query = queries.get_query(session, query_id=query_id)
            assert query.state is QueryState.OPEN
            assert query.check_satisfied_at is not None
            assert [(m.action, m.automatic) for m in query.messages] == [
                (QueryAction.OPEN, True),
                (QueryAction.CHECK_SATISFIED, True),
            ]


class TestLists:
    def test_waiting_for_me_and_counts(self, world: World, patient: int, ae_id: int):
        """Site staff wait on open and re-opened queries, reviewers on answered ones; counts per site."""
        first = open_one(world, patient, ae_id)
        second = open_one(world, patient, ae_id)
        step(world, COORDINATOR, "answer", second, 1)
        with world.session(actor(world, COORDINATOR)) as session:
            assert [q.id for q in queries.list_queries(session, waiting_for_me=True)] == [first]
        with world.session(actor(world, MONITOR)) as session:
            assert [q.id for q in queries.list_queries(session, waiting_for_me=True)] == [second]
            assert [q.id for q in queries.list_queries(session, states=[QueryState.OPEN])] == [first]
            assert [q.id for q in queries.list_queries(session, site_code="SNU")] == []
            assert [q.id for q in queries.list_queries(session, patient_id=patient)] == [first, second]
            counts = queries.query_counts(session)
        assert counts == {"SEV": queries.QueryCounts(open=1, answered=1, reopened=0)}

    def test_an_unknown_site_is_not_found(self, world: World):
        """A site code that does not exist is reported, not silently empty."""
        with pytest.raises(NotFound), world.session(actor(world, DM)) as session:
            queries.list_queries(session, site_code="NOPE")

    def test_open_item_queries_by_field(self, world: World, patient: int, ae_id: int):
        """The markers of a row form: the not-closed queries of that row, by field."""
        query_id = open_one(world, patient, ae_id)
        with world.session(actor(world, COORDINATOR)) as session:
            found = queries.open_item_queries(
                session, patient_id=patient, form="adverse-events", row_id=ae_id
            )
            assert [q.id for q in found["grade"]] == [query_id]
            assert queries.open_item_queries(session, patient_id=patient, form="mrd") == {}


class TestMigration0008:
    def test_downgrade_drops_and_upgrade_restores_the_tables(self, world: World, patient: int):
        """Migration 0008 adds both tables and its downgrade removes them, on both back ends."""
        config = alembic_config(world.store.engine)
        with world.store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0007")
        tables = set(inspect(world.store.engine).get_table_names())
        assert not {"data_queries", "data_query_messages"} & tables
        upgrade(world.store.engine)
        assert current_revision(world.store.engine) == head_revision(world.store.engine)
        with world.session(actor(world, DM)) as session:
            query = queries.open_query(
                session, patient_id=patient, form="mrd", row_id=None, field=None, text="x"
            )
            assert query.state is QueryState.OPEN
