"""Data queries (discrepancy notes): open, answer, close and re-open a question on an item.

States: ``open → answered → closed``; a closed or answered query may be re-opened
(``re-opened → answered → closed`` again). Every step adds a message to the thread and
nothing is ever deleted or changed in place but the query's state (with its version, for
optimistic locking). Who may take which step is checked here, whatever the caller:

- open: a data manager or monitor; or, with ``check_id``, whoever may write the patient's
  data (an edit check raises the query on behalf of the write);
- answer: the staff of the patient's site (coordinator, investigator) or a data manager —
  whoever may write the patient's data;
- close and re-open: a data manager or monitor.

Reads go through the session's site scope, so another site's query is :class:`NotFound`. A
step the query's state does not allow is a :class:`Conflict` naming the state. See
``docs/conduct.md``, "Data queries".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from remission.errors import FieldProblem, InputError
from remission.store.actor import AccessDenied, Actor
from remission.store.audit import store_reason
from remission.store.base import utc_now
from remission.store.course_kinds import BASELINE_FORM, COURSE_KINDS
from remission.store.errors import Conflict, NotFound
from remission.store.models import Site
from remission.store.patients import BASELINE_FIELDS, get_patient
from remission.store.query_models import DataQuery, QueryAction, QueryMessage, QueryState
from remission.store.session import StudySession
from remission.store.versioning import flush_or_conflict, require_version
from remission.store.vocabulary import Role

#: The forms a query can be about: every course kind's URL segment and the baseline.
QUERY_FORMS = (*(kind.segment for kind in COURSE_KINDS), BASELINE_FORM)
#: The longest message a step may carry.
MAX_QUERY_TEXT = 2000
#: States in which a query still asks for something.
NOT_CLOSED = frozenset({QueryState.OPEN, QueryState.ANSWERED, QueryState.REOPENED})
_REVIEWERS = (Role.DATA_MANAGER, Role.MONITOR)
#: For each step, the states it may start from and the state it leads to.
_STEPS: dict[QueryAction, tuple[frozenset[QueryState], QueryState]] = {
    QueryAction.ANSWER: (frozenset({QueryState.OPEN, QueryState.REOPENED}), QueryState.ANSWERED),
    QueryAction.CLOSE: (NOT_CLOSED, QueryState.CLOSED),
    QueryAction.REOPEN: (frozenset({QueryState.ANSWERED, QueryState.CLOSED}), QueryState.REOPENED),
}
_STEP_WORDS = {
    QueryAction.ANSWER: "answered",
    QueryAction.CLOSE: "closed",
    QueryAction.REOPEN: "re-opened",
}


@dataclass(frozen=True, slots=True)
class QueryCounts:
    """The queries of one site that still ask for something, by state."""

    open: int = 0
    answered: int = 0
    reopened: int = 0

    @property
    def total(self) -> int:
        return self.open + self.answered + self.reopened


def may_review_queries(actor: Actor) -> bool:
    """Whether ``actor`` opens, closes and re-opens queries (a data manager or monitor, or the system)."""
    return actor.system or bool(actor.study_roles.intersection(_REVIEWERS))


def _may_write_patient(actor: Actor, site_id: int) -> bool:
    writable = actor.writable_sites
    return writable is None or site_id in writable


def may_answer_query(actor: Actor, query: DataQuery) -> bool:
    """Whether ``actor`` may answer ``query``: whoever may write the patient's data."""
    return _may_write_patient(actor, query.site_id)


def allowed_steps(actor: Actor, query: DataQuery) -> list[QueryAction]:
    """The steps ``actor`` may take on ``query`` now, given its state and the actor's roles."""
    steps = []
    for action, (sources, _target) in _STEPS.items():
        if query.state not in sources:
            continue
        allowed = (
            may_answer_query(actor, query) if action is QueryAction.ANSWER else may_review_queries(actor)
        )
        if allowed:
            steps.append(action)
    return steps


def _clean_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InputError("query", [FieldProblem("text", "write what the query asks or answers")])
    if len(cleaned) > MAX_QUERY_TEXT:
        raise InputError(
            "query", [FieldProblem("text", f"at most {MAX_QUERY_TEXT} characters (got {len(cleaned)})")]
        )
    return cleaned


def _check_item(
    session: StudySession, patient_id: int, form: str, row_id: int | None, field: str | None
) -> None:
    """Refuse an item that does not exist: an unknown form, a row of another patient, a bad field."""
    if form not in QUERY_FORMS:
        raise InputError("query", [FieldProblem("form", f"must be one of {', '.join(QUERY_FORMS)}")])
    if form == BASELINE_FORM:
        if row_id is not None:
            raise InputError(
                "query", [FieldProblem("row_id", "the baseline record has no rows; leave it out")]
            )
        if field is not None and field.split(".", 1)[0] not in BASELINE_FIELDS:
            raise InputError(
                "query", [FieldProblem("field", f"must start with one of {', '.join(BASELINE_FIELDS)}")]
            )
        return
    kind = next(kind for kind in COURSE_KINDS if kind.segment == form)
    if field is not None and field not in kind.create.model_fields:
        names = ", ".join(kind.create.model_fields)
        raise InputError(
            "query", [FieldProblem("field", f"must be a field of the {kind.title} form: {names}")]
        )
    if row_id is not None:
        row = session.get(kind.model, row_id)  # read through the actor's site scope
        if row is None or row.patient_id != patient_id:
            raise NotFound(kind.model.__tablename__, row_id)


def _message(query: DataQuery, actor: Actor, action: QueryAction, text: str, *, automatic: bool) -> None:
    query.messages.append(
        QueryMessage(
            patient_id=query.patient_id,
            site_id=query.site_id,
            at=utc_now(),
            user_id=actor.user_id,
            username=actor.username,
            action=action,
            text=text,
            automatic=automatic,
        )
    )


def open_query(
    session: StudySession,
    *,
    patient_id: int,
    form: str,
    row_id: int | None,
    field: str | None,
    text: str,
    check_id: str | None = None,
) -> DataQuery:
    """Open a query on an item of the patient's record; returns it in state ``open``.

    A person opening it must be a data manager or monitor. With ``check_id`` the edit check of
    that id raises it on behalf of the actor whose write it checked (anyone who may write the
    patient's data); the query records the check. Raises :class:`InputError` naming the field
    for an unknown form or field or an empty text, :class:`NotFound` for another site's patient
    or a row that is not the patient's, :class:`AccessDenied` for a role that may not open it.
    """
    actor = session.actor
    patient = get_patient(session, patient_id=patient_id)
    if check_id is None and not may_review_queries(actor):
        raise AccessDenied(f"{actor.username} may not open queries: only a data manager or monitor may")
    if check_id is not None and not _may_write_patient(actor, patient.site_id):
        raise AccessDenied(f"{actor.username} may not write this patient's data")
    cleaned = _clean_text(text)
    _check_item(session, patient.id, form, row_id, field)
    query = DataQuery(
        patient_id=patient.id,
        site_id=patient.site_id,
        form=form,
        row_id=row_id,
        field=field,
        state=QueryState.OPEN,
        opened_by=actor.username,
        check_id=check_id,
    )
    session.add(query)
    _message(query, actor, QueryAction.OPEN, cleaned, automatic=check_id is not None)
    session.flush()
    return query


def get_query(session: StudySession, *, query_id: int) -> DataQuery:
    """The query with its messages (``query.messages``, oldest first); another site's is NotFound."""
    query = session.get(DataQuery, query_id)
    if query is None:
        raise NotFound("query", query_id)
    return query


def _step(session: StudySession, query_id: int, version: int, text: str, action: QueryAction) -> DataQuery:
    actor = session.actor
    query = get_query(session, query_id=query_id)
    sources, target = _STEPS[action]
    if action is QueryAction.ANSWER:
        if not may_answer_query(actor, query):
            raise AccessDenied(f"{actor.username} may not answer queries of this patient's site")
    elif not may_review_queries(actor):
        raise AccessDenied(
            f"{actor.username} may not close or re-open queries: only a data manager or monitor"
        )
    if query.state not in sources:
        allowed = " or ".join(sorted(state.value for state in sources))
        raise Conflict(
            f"query {query.id} is {query.state.value}; only an {allowed} query can be {_STEP_WORDS[action]}"
        )
    require_version(query, version)
    cleaned = _clean_text(text)
    query.state = target
    _message(query, actor, action, cleaned, automatic=False)
    with store_reason(session, f"query {action.value}"):
        flush_or_conflict(session, query)
    return query


def answer_query(session: StudySession, *, query_id: int, version: int, text: str) -> DataQuery:
    """Answer an open or re-opened query (site staff of the patient's site, or a data manager)."""
    return _step(session, query_id, version, text, QueryAction.ANSWER)


def close_query(session: StudySession, *, query_id: int, version: int, text: str) -> DataQuery:
    """Close a query that is not closed (a data manager or monitor)."""
    return _step(session, query_id, version, text, QueryAction.CLOSE)


def reopen_query(session: StudySession, *, query_id: int, version: int, text: str) -> DataQuery:
    """Re-open an answered or closed query (a data manager or monitor)."""
    return _step(session, query_id, version, text, QueryAction.REOPEN)


def open_check_queries(
    session: StudySession, *, patient_id: int, check_id: str, form: str, row_id: int | None
) -> list[DataQuery]:
    """The queries ``check_id`` raised on this item that are not closed, oldest first."""
    get_patient(session, patient_id=patient_id)
    row = DataQuery.row_id.is_(None) if row_id is None else DataQuery.row_id == row_id
    return list(
        session.scalars(
            select(DataQuery)
            .where(
                DataQuery.patient_id == patient_id,
                DataQuery.check_id == check_id,
                DataQuery.form == form,
                row,
                DataQuery.state.in_(NOT_CLOSED),
            )
            .order_by(DataQuery.id)
        )
    )


def note_check_satisfied(session: StudySession, *, query_id: int) -> None:
    """Record that the data now satisfies the check that raised the query (once; it stays open).

    Sets ``check_satisfied_at`` and adds an automatic message to the thread; a person still
    closes the query. Does nothing for a closed query or one already noted. Called on a write
    by whoever may write the patient's data.
    """
    actor = session.actor
    query = get_query(session, query_id=query_id)
    if query.check_id is None:
        raise Conflict(f"query {query.id} was opened by a person, not by an edit check")
    if not _may_write_patient(actor, query.site_id):
        raise AccessDenied(f"{actor.username} may not write this patient's data")
    if query.state is QueryState.CLOSED or query.check_satisfied_at is not None:
        return
    query.check_satisfied_at = utc_now()
    _message(
        query,
        actor,
        QueryAction.CHECK_SATISFIED,
        f"the data now satisfies check {query.check_id}",
        automatic=True,
    )
    with store_reason(session, "query check satisfied"):
        flush_or_conflict(session, query)


def awaiting_states(actor: Actor) -> frozenset[QueryState]:
    """The states of the queries waiting for ``actor``: answered ones for a data manager or
    monitor, open and re-opened ones for site staff, none for anyone else."""
    if may_review_queries(actor):
        return frozenset({QueryState.ANSWERED})
    if actor.writable_sites:
        return frozenset({QueryState.OPEN, QueryState.REOPENED})
    return frozenset()


def list_queries(
    session: StudySession,
    *,
    site_code: str | None = None,
    patient_id: int | None = None,
    states: Collection[QueryState] | None = None,
    waiting_for_me: bool = False,
) -> list[DataQuery]:
    """Queries the actor may read, oldest first, filtered by site, patient and state.

    ``waiting_for_me`` keeps those waiting for the actor (see :func:`awaiting_states`). An
    unknown site code or another site's patient is :class:`NotFound`.
    """
    statement = select(DataQuery).options(selectinload(DataQuery.patient)).order_by(DataQuery.id)
    if site_code is not None:
        site_id = session.scalar(select(Site.id).where(Site.code == site_code))
        if site_id is None:
            raise NotFound("site", site_code)
        statement = statement.where(DataQuery.site_id == site_id)
    if patient_id is not None:
        get_patient(session, patient_id=patient_id)
        statement = statement.where(DataQuery.patient_id == patient_id)
    wanted = set(states) if states is not None else set(QueryState)
    if waiting_for_me:
        wanted &= awaiting_states(session.actor)
    statement = statement.where(DataQuery.state.in_(sorted(wanted)))
    return list(session.scalars(statement))


def query_counts(session: StudySession) -> dict[str, QueryCounts]:
    """Per site code, the queries the actor may read that are open, answered and re-opened."""
    rows = session.execute(
        select(Site.code, DataQuery.state, func.count(DataQuery.id))
        .join(Site, Site.id == DataQuery.site_id)
        .where(DataQuery.state.in_(NOT_CLOSED))
        .group_by(Site.code, DataQuery.state)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for code, state, count in rows:
        key = "reopened" if state is QueryState.REOPENED else QueryState(state).value
        counts.setdefault(code, {})[key] = int(count)
    return {code: QueryCounts(**found) for code, found in sorted(counts.items())}


def open_item_queries(
    session: StudySession, *, patient_id: int, form: str, row_id: int | None = None
) -> dict[str | None, list[DataQuery]]:
    """The patient's not-closed queries on a form (and row), by field (``None``: the whole item);
    for the markers next to the fields of a form."""
    queries = list_queries(session, patient_id=patient_id, states=NOT_CLOSED)
    found: dict[str | None, list[DataQuery]] = {}
    for query in queries:
        if query.form == form and query.row_id == row_id:
            found.setdefault(query.field, []).append(query)
    return found
