"""Study-wide counts for the dashboard, each one grouped query through the actor's site scope."""

from __future__ import annotations

from datetime import date

from sqlalchemy import distinct, func, select

from remission.store.models import AdverseEvent, Enrollment, Site
from remission.store.session import StudySession

#: CTCAE grades (CLINICAL_FACTS.md §5): 1 mild to 5 death.
CTCAE_GRADES = range(1, 6)


def enrollment_dates(session: StudySession) -> list[tuple[str, date]]:
    """``(site code, enrolled on)`` of every enrollment the actor may read."""
    rows = session.execute(
        select(Site.code, Enrollment.enrolled_on).join(Site, Site.id == Enrollment.site_id)
    )
    return [(code, enrolled_on) for code, enrolled_on in rows]


def adverse_events_by_grade(session: StudySession) -> tuple[tuple[int, int, int], ...]:
    """``(grade, events, patients)`` for each CTCAE grade 1–5, zeros included."""
    rows = session.execute(
        select(AdverseEvent.grade, func.count(AdverseEvent.id), func.count(distinct(AdverseEvent.patient_id)))
        .group_by(AdverseEvent.grade)
        .order_by(AdverseEvent.grade)
    ).all()
    found = {int(grade): (int(events), int(patients)) for grade, events, patients in rows}
    return tuple((grade, *found.get(grade, (0, 0))) for grade in CTCAE_GRADES)
