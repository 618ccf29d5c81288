"""The edit checks run over the whole study (``remission checks run``): every stored course row of
every patient the actor may read, under each protocol the patient is enrolled in.

Rows are read in chunks of patients, one query per form and chunk, so the run is linear in the
number of patients and its memory bounded by the chunk. Each fired check is a finding; data queries
are opened for them (and noted when a check is satisfied again) by :mod:`remission.store.check_queries`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from remission.conduct.edit_checks import CheckResult, forms_read
from remission.protocols import Protocol, load_protocol
from remission.store.accounts import site_by_code
from remission.store.edit_checks import PatientCourse, read_courses
from remission.store.models import Patient
from remission.store.patients import list_patients
from remission.store.session import StudySession

#: Patients read per chunk: rows of a chunk are in memory together.
CHUNK = 500
#: An item an automatic query is raised on: patient id, form, row id, check id.
ItemKey = tuple[int, str, int, str]


@dataclass(frozen=True)
class CheckFinding:
    """A check that fired on one stored row."""

    patient_id: int
    study_id: str
    protocol_id: str
    form: str
    row_id: int
    result: CheckResult

    def to_dict(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "study_id": self.study_id,
            "protocol_id": self.protocol_id,
            "form": self.form,
            "row_id": self.row_id,
            "check": self.result.check.id,
            "severity": self.result.check.severity.value,
            "field": self.result.check.field,
            "message": self.result.check.message,
            "explanation": self.result.explanation.text,
        }


@dataclass
class CheckRun:
    """What a run found: per check how often it passed, fired or could not be decided, and each firing."""

    as_of: date
    patients: int = 0
    rows: int = 0
    outcomes: dict[str, Counter[str]] = field(default_factory=dict)
    findings: list[CheckFinding] = field(default_factory=list)
    #: Watched items (see :func:`run_checks`) whose check now passes.
    satisfied: list[CheckFinding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "patients": self.patients,
            "rows": self.rows,
            "checks": {check: dict(counts) for check, counts in sorted(self.outcomes.items())},
            "findings": [finding.to_dict() for finding in self.findings],
        }


def _chunks(patients: Sequence[Patient]) -> Iterator[Sequence[Patient]]:
    for start in range(0, len(patients), CHUNK):
        yield patients[start : start + CHUNK]


def _protocols(courses: dict[int, PatientCourse], cache: dict[str, Protocol]) -> None:
    for course in courses.values():
        for risk in course.risks:
            if risk.protocol_id not in cache:
                cache[risk.protocol_id] = load_protocol(risk.protocol_id)


def _checked_forms(protocols: dict[str, Protocol]) -> tuple[set[str], set[str]]:
    """The forms some check guards, and those the checks read besides."""
    guarded = {check.form.value for p in protocols.values() for check in p.edit_checks}
    read = set().union(*(forms_read(p.edit_checks, p.parameter_values()) for p in protocols.values()))
    return guarded, read


def run_checks(
    session: StudySession,
    *,
    as_of: date,
    site_code: str | None = None,
    watch: Collection[ItemKey] = (),
    progress: Callable[[int, int], None] | None = None,
) -> CheckRun:
    """Every edit check on every stored course row the actor may read (at one site, if given).

    A check that passes on an item in ``watch`` (``(patient_id, form, row_id, check_id)``, the items
    with an open automatic query) is listed in ``satisfied``. ``progress(done, total)`` is called
    after each chunk of patients. An unknown site is :class:`NotFound`.
    """
    if site_code is not None:
        site_by_code(session, code=site_code)
    patients = list_patients(session, site_code=site_code, limit=None)
    run = CheckRun(as_of=as_of, patients=len(patients))
    protocols: dict[str, Protocol] = {}
    for done, chunk in enumerate(_chunks(patients), start=1):
        # Which forms to read depends on the chunk's protocols; risks are read with the rows.
        probe = read_courses(session, patients=chunk, forms=())
        _protocols(probe, protocols)
        enrolled = {
            r.protocol_id: protocols[r.protocol_id] for course in probe.values() for r in course.risks
        }
        guarded, read = _checked_forms(enrolled)
        courses = read_courses(
            session,
            patients=chunk,
            forms=sorted(guarded | read),
            risks={pid: course.risks for pid, course in probe.items()},
        )
        for course in courses.values():
            _check_course(run, course, [protocols[risk.protocol_id] for risk in course.risks], watch)
        if progress is not None:
            progress(min(done * CHUNK, len(patients)), len(patients))
    return run


def _check_course(
    run: CheckRun, course: PatientCourse, enrolled: list[Protocol], watch: Collection[ItemKey]
) -> None:
    patient = course.patient
    for protocol in enrolled:
        for form in dict.fromkeys(check.form.value for check in protocol.edit_checks):
            for row in course.rows.get(form, ()):
                run.rows += 1
                for result in course.check(form, row, [protocol], run.as_of):
                    run.outcomes.setdefault(result.check.id, Counter())[result.outcome] += 1
                    if result.fired:
                        run.findings.append(
                            CheckFinding(patient.id, patient.study_id, protocol.id, form, row.id, result)
                        )
                    elif result.outcome == "passed" and (patient.id, form, row.id, result.check.id) in watch:
                        run.satisfied.append(
                            CheckFinding(patient.id, patient.study_id, protocol.id, form, row.id, result)
                        )
