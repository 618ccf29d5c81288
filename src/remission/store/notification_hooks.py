"""The session hooks that turn writes into notifications, in the transaction of the write.

After each flush the session notes the events among the flushed rows — a data query opened or
re-opened, a query answered, a risk assignment stored, an adverse event entered as (or changed
to) serious — and before the transaction commits it writes their notifications and e-mails
(:func:`remission.store.notification_delivery.deliver`). Registered in
:mod:`remission.store.session`, so no write path (API, web form, CLI, demo loader, edit check)
can leave them out, and a write that rolls back leaves none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from remission.store.models import AdverseEvent, RiskAssignment
from remission.store.query_models import DataQuery, QueryAction, QueryMessage

_NOTED = "notification_events"


def _became_serious(event: AdverseEvent) -> bool:
    history = inspect(event).attrs.serious.history
    return bool(event.serious) and bool(history.added) and not any(history.deleted)


def note_events(session: Session, flush_context: Any) -> None:
    """``after_flush``: remember the flushed rows that someone must be told about."""
    noted: dict[tuple[str, int], None] = session.info.setdefault(_NOTED, {})
    for obj in session.new:
        if isinstance(obj, DataQuery):
            noted["opened", obj.id] = None
        elif isinstance(obj, QueryMessage) and obj.action in (QueryAction.ANSWER, QueryAction.REOPEN):
            noted[obj.action.value, obj.id] = None
        elif isinstance(obj, RiskAssignment):
            noted["risk", obj.id] = None
        elif isinstance(obj, AdverseEvent) and obj.serious:
            noted["sae", obj.id] = None
    for obj in session.dirty:
        if isinstance(obj, AdverseEvent) and _became_serious(obj):
            noted["sae", obj.id] = None


def forget_events(session: Session, previous_transaction: Any = None) -> None:
    """``after_rollback``: a rolled-back write tells nobody anything."""
    session.info.pop(_NOTED, None)


def deliver_noted(session: Session) -> None:
    """``before_commit``: write the notifications of the events noted since the last commit."""
    noted = session.info.pop(_NOTED, None)
    if not noted:
        return
    # Imported here: building and delivering events reads through modules that import the session.
    from remission.store.notification_delivery import deliver
    from remission.store.notification_events import event_of

    for name, row_id in noted:
        event = event_of(session, name, row_id)  # type: ignore[arg-type]  # a StudySession
        if event is not None:
            deliver(session, event)  # type: ignore[arg-type]
    session.info.pop(_NOTED, None)  # the delivery's own flush notes nothing new
