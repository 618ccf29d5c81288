"""The session hooks that keep ``calendar_entries`` in step with every write.

After each flush the session notes the patients whose calendar the flushed rows may change (their
baseline, enrollments, risk assignments, course rows, missing-data codes); before the transaction
commits their entries are rewritten (:func:`remission.store.calendar_upkeep.refresh_calendars`).
Registered in :mod:`remission.store.session`, so no write path can leave them out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from remission.store.course_kinds import COURSE_KINDS
from remission.store.missing_data_models import MissingDataCode
from remission.store.models import Enrollment, Patient, RiskAssignment

_NOTED = "calendar_patients"
#: Rows of a patient whose change can change the patient's calendar.
_CALENDAR_INPUTS: tuple[type, ...] = (
    Enrollment,
    RiskAssignment,
    MissingDataCode,
    *(kind.model for kind in COURSE_KINDS),
)


def note_changes(session: Session, flush_context: Any) -> None:
    """``after_flush``: remember the patients whose calendars the flushed rows may change."""
    noted: set[int] = session.info.setdefault(_NOTED, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Patient):
            noted.add(obj.id)
        elif isinstance(obj, _CALENDAR_INPUTS):
            noted.add(obj.patient_id)  # type: ignore[attr-defined]  # every input is patient-owned


def refresh_noted(session: Session) -> None:
    """``before_commit``: rewrite the calendar entries of the patients noted since the last commit."""
    noted = session.info.pop(_NOTED, None)
    if not noted:
        return
    # Imported here: the upkeep reads calendars through modules that import the session class.
    from remission.store.calendar_upkeep import refresh_calendars

    refresh_calendars(session, patient_ids=noted)  # type: ignore[arg-type]  # a StudySession
    session.info.pop(_NOTED, None)  # the refresh's own flush changes no calendar input
