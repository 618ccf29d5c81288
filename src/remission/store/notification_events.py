"""The notifications a stored row calls for: who is told what, in words free of identifiers.

Built by :func:`event_of` from the rows the session's hooks noted
(:mod:`remission.store.notification_hooks`), read through the acting user's site scope (they
have just written them).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from remission.protocols import load_protocol
from remission.store.base import utc_now
from remission.store.models import AdverseEvent, Enrollment, Patient, RiskAssignment
from remission.store.notification_delivery import (
    NotificationEvent,
    active_user_ids,
    reviewers,
    site_staff,
)
from remission.store.notification_models import NotificationKind
from remission.store.query_models import DataQuery, QueryAction, QueryMessage
from remission.store.session import StudySession

#: The protocol parameter that sets how many hours a site has to report a serious adverse event.
SAE_REPORT_HOURS = "sae_report_hours"


def event_of(session: StudySession, name: str, row_id: int) -> NotificationEvent | None:
    """The event a noted row calls for (``None`` when the row is gone or concerns nobody)."""
    return _EVENT_BUILDERS[name](session, row_id)


def _others(session: StudySession, user_ids: frozenset[int]) -> frozenset[int]:
    """``user_ids`` without the actor: nobody is told about their own step."""
    return user_ids - {session.actor.user_id} if session.actor.user_id is not None else user_ids


def _item(query: DataQuery) -> str:
    words = query.form
    if query.row_id is not None:
        words += f" row {query.row_id}"
    if query.field:
        words += f", field {query.field}"
    return words


def _query_opened(session: StudySession, query_id: int, *, again: bool = False) -> NotificationEvent | None:
    query = session.get(DataQuery, query_id)
    if query is None:
        return None
    step = "re-opened" if again else "opened"
    return NotificationEvent(
        kind=NotificationKind.QUERY_OPENED,
        summary=f"Data query {query.id} {step} on {query.study_id}: {_item(query)}.",
        recipients=_others(session, site_staff(session, site_id=query.site_id)),
        study_id=query.study_id,
        patient_id=query.patient_id,
        link=f"/queries/{query.id}",
    )


def _query_step(session: StudySession, message_id: int, action: QueryAction) -> NotificationEvent | None:
    message = session.get(QueryMessage, message_id)
    if message is None:
        return None
    if action is QueryAction.REOPEN:
        return _query_opened(session, message.query_id, again=True)
    query = session.get(DataQuery, message.query_id)
    if query is None:
        return None
    askers = {
        step.username
        for step in query.messages
        if step.action in (QueryAction.OPEN, QueryAction.REOPEN) and not step.automatic
    }
    # Answered "for me": the people who asked; an edit check's query waits for the reviewers.
    recipients = active_user_ids(session, askers) or reviewers(session)
    return NotificationEvent(
        kind=NotificationKind.QUERY_ANSWERED,
        summary=f"Data query {query.id} on {query.study_id} answered: {_item(query)}.",
        recipients=_others(session, recipients),
        study_id=query.study_id,
        patient_id=query.patient_id,
        link=f"/queries/{query.id}",
    )


def _group_words(assignment: RiskAssignment) -> str:
    words = assignment.risk_group
    if assignment.arm:
        words += f" (arm {assignment.arm})"
    elif assignment.provisional_track:
        words += f" (provisional track {assignment.provisional_track})"
    return words


def _risk_assigned(session: StudySession, assignment_id: int) -> NotificationEvent | None:
    assignment = session.get(RiskAssignment, assignment_id)
    if assignment is None:
        return None
    patient = session.get(Patient, assignment.patient_id)
    if patient is None:
        return None
    previous = session.scalar(
        select(RiskAssignment)
        .where(
            RiskAssignment.patient_id == assignment.patient_id,
            RiskAssignment.protocol_id == assignment.protocol_id,
            RiskAssignment.id < assignment.id,
        )
        .order_by(RiskAssignment.id.desc())
        .limit(1)
    )
    change = (
        f"changed from {_group_words(previous)} to {_group_words(assignment)}"
        if previous is not None
        else f"assigned: {_group_words(assignment)}"
    )
    return NotificationEvent(
        kind=NotificationKind.RISK_GROUP,
        summary=f"Risk group of {patient.study_id} under {assignment.protocol_id} {change}.",
        recipients=_others(session, site_staff(session, site_id=patient.site_id)),
        study_id=patient.study_id,
        patient_id=patient.id,
        link=f"/patients/{patient.id}",
    )


def report_hours(session: StudySession, *, patient_id: int) -> tuple[str, float] | None:
    """The shortest serious-adverse-event reporting time, in hours, of the protocols the patient is
    enrolled in, with the protocol that sets it; ``None`` when none sets one."""
    enrolled = select(Enrollment.protocol_id).where(Enrollment.patient_id == patient_id)
    protocol_ids = sorted(set(session.scalars(enrolled)))
    found = []
    for protocol_id in protocol_ids:
        parameter = load_protocol(protocol_id).parameters.get(SAE_REPORT_HOURS)
        if parameter is not None:
            found.append((float(parameter.value), protocol_id))
    if not found:
        return None
    hours, protocol_id = min(found)
    return protocol_id, hours


def _serious_event(session: StudySession, event_id: int) -> NotificationEvent | None:
    event = session.get(AdverseEvent, event_id)
    if event is None:
        return None
    patient = session.get(Patient, event.patient_id)
    if patient is None:
        return None
    entered = utc_now()
    clock = report_hours(session, patient_id=patient.id)
    deadline = entered + timedelta(hours=clock[1]) if clock else None
    details: tuple[str, ...] = ()
    if clock is not None and deadline is not None:
        details = (
            f"Report it to the sponsor by {deadline:%Y-%m-%d %H:%M} UTC: within {clock[1]:g} hours of its "
            f"entry (protocol {clock[0]}, parameter {SAE_REPORT_HOURS}).",
        )
    return NotificationEvent(
        kind=NotificationKind.SERIOUS_ADVERSE_EVENT,
        summary=f"Serious adverse event (grade {event.grade}) recorded for {patient.study_id}.",
        # The person who entered it is told too: the reporting clock is theirs.
        recipients=site_staff(session, site_id=patient.site_id) | reviewers(session),
        study_id=patient.study_id,
        patient_id=patient.id,
        link=f"/patients/{patient.id}",
        event_at=entered,
        deadline_at=deadline,
        details=details,
    )


_EVENT_BUILDERS = {
    "opened": _query_opened,
    QueryAction.ANSWER.value: lambda session, row_id: _query_step(session, row_id, QueryAction.ANSWER),
    QueryAction.REOPEN.value: lambda session, row_id: _query_step(session, row_id, QueryAction.REOPEN),
    "risk": _risk_assigned,
    "sae": _serious_event,
}
