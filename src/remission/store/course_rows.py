"""Reading the course rows of many patients at once: one query per form, grouped by patient.

The edit checks (:mod:`remission.store.edit_checks`) and the calendar upkeep
(:mod:`remission.store.calendar_upkeep`) read a patient's course through this, one patient on a
write and a chunk of patients in a batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from remission.store.course_kinds import COURSE_KINDS
from remission.store.current_risk import CurrentRisk, current_assignments
from remission.store.models import Patient
from remission.store.session import StudySession

MODELS = {kind.segment: kind.model for kind in COURSE_KINDS}
#: More patients than this are read by scanning each form's table (site-scoped) instead of a list of ids.
_LISTED_IDS = 500


@dataclass(frozen=True)
class CourseRows:
    """One patient, their current risk under each protocol, and their rows of some forms (by form,
    in entry order)."""

    patient: Patient
    risks: Sequence[CurrentRisk]
    rows: Mapping[str, Sequence[Any]]


def read_course_rows(
    session: StudySession,
    *,
    patients: Sequence[Patient],
    forms: Iterable[str],
    risks: Mapping[int, Sequence[CurrentRisk]] | None = None,
) -> dict[int, CourseRows]:
    """The rows of ``forms`` of ``patients``, read through the actor's scope; ``risks`` are their
    current assignments when the caller has read them already."""
    ids = [patient.id for patient in patients]
    if risks is None:
        risks = current_assignments(session, patient_ids=ids)
    wanted = set(ids)
    rows: dict[str, dict[int, list[Any]]] = {}
    for form in dict.fromkeys(forms):
        model = MODELS[form]
        query = select(model).order_by(model.id)
        if len(ids) <= _LISTED_IDS:
            query = query.where(model.patient_id.in_(ids))
        grouped: dict[int, list[Any]] = defaultdict(list)
        for row in session.scalars(query):
            if row.patient_id in wanted:
                grouped[row.patient_id].append(row)
        rows[form] = grouped
    return {
        patient.id: CourseRows(
            patient,
            risks.get(patient.id, []),
            {form: by_patient.get(patient.id, []) for form, by_patient in rows.items()},
        )
        for patient in patients
    }
