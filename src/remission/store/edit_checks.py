"""Edit checks in the store: the protocols' checks run on every write of a course row.

A course row is checked under each protocol the patient is enrolled in, against what the rest of
the course records (:class:`remission.conduct.edit_checks.CourseFacts`, read here). A fired *hard*
check refuses the write with an :class:`InputError` naming the field (the API's 422); soft checks
are handed back so the caller can open a data query (:mod:`remission.store.check_queries`). The
batch run over the whole study is :mod:`remission.store.check_runs`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import inspect

from remission.conduct.edit_checks import (
    CheckResult,
    CourseFacts,
    check_row,
    forms_read,
    guards,
    time_point_windows,
)
from remission.errors import FieldProblem, InputError
from remission.protocols import Protocol, load_protocol
from remission.protocols.edit_checks import paths_read
from remission.store.assembly import record_from_rows
from remission.store.base import PatientOwned
from remission.store.calendar import arm_phases, phase_dates
from remission.store.course_kinds import COURSE_KINDS, row_kind
from remission.store.course_rows import MODELS, CourseRows, read_course_rows
from remission.store.current_risk import CurrentRisk, current_assignments
from remission.store.models import Patient
from remission.store.patient_list import diagnosis_date
from remission.store.session import StudySession

#: The forms whose rows the checks read besides the row being written.
#: The forms whose rows the facts list (a row of one is left out of the facts it is checked against).
_LISTED = ("treatment-phases", "follow-ups", "deaths", "anthracycline-doses")


def form_of(row: PatientOwned) -> str:
    """The course form (URL segment) of a course row."""
    kind = row_kind(row)
    if kind is None:
        raise TypeError(f"{type(row).__name__} is not a course row")
    return kind.segment


#: Each course table's column names, in table order.
_COLUMNS: dict[type, tuple[str, ...]] = {
    kind.model: tuple(column.key for column in inspect(kind.model).column_attrs) for kind in COURSE_KINDS
}


def row_values(row: PatientOwned) -> dict[str, Any]:
    """A row's column values by name, as a check reads them (``row.<column>``)."""
    return {name: getattr(row, name) for name in _COLUMNS[type(row)]}


def _doses(rows: Iterable[Any]) -> list[tuple[date, str, float]]:
    return [(row.date, row.drug, row.dose_mg_per_m2) for row in rows]


def edit_check_column_problems(protocol: Protocol) -> list[FieldProblem]:
    """Each edit check's field and ``row.<column>`` paths that are not columns of its form's table."""
    problems = []
    for i, check in enumerate(protocol.edit_checks):
        columns = set(_COLUMNS[MODELS[check.form.value]])
        named = [check.field, *(path[4:] for path in paths_read(check.must) if path.startswith("row."))]
        problems += [
            FieldProblem(f"edit_checks[{i}]", f"{check.form.value} has no column {column!r}")
            for column in dict.fromkeys(named)
            if column not in columns
        ]
    return problems


@dataclass(frozen=True)
class PatientCourse(CourseRows):
    """What the checks read of one patient (:class:`CourseRows`), and the facts built from it."""

    _settled: dict[str, CourseFacts] = field(default_factory=dict, compare=False, repr=False)

    def _base(self, protocol: Protocol, risk: CurrentRisk, as_of: date) -> CourseFacts:
        """The record, the arm's phases and the MRD windows under ``protocol``: built once per patient."""
        if protocol.id not in self._settled:
            rows = self.rows.get("treatment-phases", ())
            phases = arm_phases(protocol, risk)
            dates = phase_dates(rows)
            record = record_from_rows(
                self.patient,
                site_code=None,
                consent=None,
                mrd=self.rows.get("mrd", ()),
                phases=[row for row in rows if row.actual_start is not None],
                attestations=(),
                study_entry_date=min((r.enrolled_on for r in self.risks), default=None),
            )
            windows = time_point_windows(
                protocol,
                phases=phases,
                phase_dates=dates,
                diagnosed=diagnosis_date(self.patient.baseline),
                as_of=as_of,
            )
            deaths = [row.date for row in self.rows.get("deaths", ())]
            self._settled[protocol.id] = CourseFacts(
                record,
                phases,
                dates,
                windows,
                follow_ups=[row.date for row in self.rows.get("follow-ups", ())],
                death=min(deaths, default=None),
                doses=_doses(self.rows.get("anthracycline-doses", ())),
            )
        return self._settled[protocol.id]

    def facts(self, protocol: Protocol, risk: CurrentRisk, *, leave_out: object, as_of: date) -> CourseFacts:
        """The facts under ``protocol``, with the row ``leave_out`` (the one being checked) left out of
        the course's lists. A form not read is one no check of the protocol reads (see forms_read)."""
        base = self._base(protocol, risk, as_of)
        kind = row_kind(leave_out)
        form = kind.segment if kind else None
        if form not in _LISTED or leave_out not in self.rows.get(form, ()):
            return base
        others = [row for row in self.rows[form] if row is not leave_out]
        match form:
            case "treatment-phases":
                return replace(base, phase_dates=phase_dates(others))
            case "follow-ups":
                return replace(base, follow_ups=[row.date for row in others])
            case "deaths":
                return replace(base, death=min((row.date for row in others), default=None))
            case _:
                return replace(base, doses=_doses(others))

    def check(
        self, form: str, row: PatientOwned, protocols: Iterable[Protocol], as_of: date
    ) -> list[CheckResult]:
        """Every check of ``protocols`` (those the patient is enrolled in) on one of their rows."""
        risks = {risk.protocol_id: risk for risk in self.risks}
        values = row_values(row)
        results: list[CheckResult] = []
        for protocol in protocols:
            risk = risks.get(protocol.id)
            if risk is None or not guards(protocol, form):
                continue
            facts = self.facts(protocol, risk, leave_out=row, as_of=as_of)
            results += check_row(protocol, form=form, row=values, facts=facts)
        return results


def read_courses(
    session: StudySession,
    *,
    patients: Sequence[Patient],
    forms: Iterable[str],
    risks: Mapping[int, Sequence[CurrentRisk]] | None = None,
) -> dict[int, PatientCourse]:
    """The courses of ``patients`` to check (:func:`remission.store.course_rows.read_course_rows`)."""
    read = read_course_rows(session, patients=patients, forms=forms, risks=risks)
    return {patient_id: PatientCourse(c.patient, c.risks, c.rows) for patient_id, c in read.items()}


def check_written_row(
    session: StudySession, *, row: PatientOwned, patient: Patient, today: date | None = None
) -> list[CheckResult]:
    """Run the checks on a row about to be written; a fired hard check refuses it.

    Raises :class:`InputError` naming each refused field (with the check's message and id). Returns
    every result otherwise, so the caller can open or note data queries for the soft ones.
    """
    form = form_of(row)
    with session.no_autoflush:
        risks = current_assignments(session, patient_ids=[patient.id]).get(patient.id, [])
        protocols = [load_protocol(risk.protocol_id) for risk in risks]
        checks = {p.id: [c for c in p.edit_checks if c.form.value == form] for p in protocols}
        if not any(checks.values()):
            return []
        forms = set().union(*(forms_read(checks[p.id], p.parameter_values()) for p in protocols))
        course = read_courses(session, patients=[patient], forms=sorted(forms), risks={patient.id: risks})[
            patient.id
        ]
    results = course.check(form, row, protocols, today or date.today())
    refused = [result for result in results if result.refuses]
    if refused:
        raise InputError(
            type(row).__tablename__,
            [
                FieldProblem(result.check.field, f"{result.check.message} (edit check {result.check.id})")
                for result in refused
            ],
        )
    return results
