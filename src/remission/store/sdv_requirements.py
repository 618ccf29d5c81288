"""What a study's SDV plans require of each child, and how much of it is verified: the monitor's worklist.

A child enrolled under protocols with a ``source_verification:`` plan owes the items each entry
names (:mod:`remission.protocols.source_verification`), mapped to the item keys of
:func:`remission.store.missing_data_items.item_key`:

| plan input | items |
|---|---|
| ``patient.date_of_birth`` (an age test) | ``patient:date_of_birth`` |
| a baseline path (``diagnosis.who_type``, ``prior_steroids``) | ``baseline:PATH`` |
| ``consent.FIELD`` | ``consents#ROW:FIELD`` of every consent row |
| an MRD time point of a rule | every MRD row of that time point, whole (``mrd#ROW:``) |
| ``form: SEGMENT`` (``where``) | every (matching) row of the form, whole (``SEGMENT#ROW:``) |

``study_entry_date`` is the enrollment's own date, set when the child is enrolled, not an item of
a form: it is listed among the plan's inputs that no item carries (:func:`describe_plan`).

An item is *verified* when a verified mark covers it — a mark on the item itself, on the whole row
of a row's field, or on a baseline path above it (``baseline:genetics`` covers
``baseline:genetics.kmt2a.status``) — else *reset* when such a mark was reset by a change, else
*not recorded* when it holds no value (nothing to verify yet; never counted as verified), else
*unverified*. Reads are site-scoped like every read; one query per table for a site.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sqlalchemy import select

from remission.errors import FieldProblem
from remission.protocols import Protocol, load_protocol
from remission.protocols.sdv_inputs import DecisionInputs, eligibility_inputs, risk_inputs
from remission.protocols.source_verification import VerificationEntry
from remission.store.accounts import site_by_code
from remission.store.base import PatientOwned
from remission.store.course_kinds import (
    BASELINE_FIELDS,
    BASELINE_FORM,
    COURSE_KINDS,
    PATIENT_FIELDS,
    PATIENT_FORM,
)
from remission.store.missing_data_items import baseline_value, item_key
from remission.store.models import Enrollment, MRDMeasurement, Patient
from remission.store.patients import get_patient
from remission.store.sdv import row_columns
from remission.store.sdv_models import SDVState, SourceVerification
from remission.store.session import StudySession

_KINDS = {kind.segment: kind for kind in COURSE_KINDS}
#: Record paths that name no item of a form, and why.
NOT_ITEMS = {"study_entry_date": "the enrollment's own date, set when the child is enrolled"}
#: Record lists kept as course rows: a rule reading the whole list requires every row.
_RECORD_LISTS = {"mrd": "mrd", "treatment_phases": "treatment-phases"}
_CONSENT = "consents"
_STATES = ("verified", "reset", "unverified", "not recorded")


@dataclass(frozen=True, slots=True)
class RequiredItem:
    """One item a plan requires of one child, with the mark that decides its state (if any)."""

    item: str
    form: str
    row_id: int | None
    field: str | None
    why: tuple[str, ...]
    recorded: bool
    mark: SourceVerification | None

    @property
    def state(self) -> str:
        """``verified``, ``reset``, ``not recorded`` or ``unverified``."""
        if self.mark is not None:
            return self.mark.state.value
        return "unverified" if self.recorded else "not recorded"

    def to_dict(self) -> dict[str, Any]:
        mark = self.mark
        return {
            "item": self.item,
            "form": self.form,
            "row_id": self.row_id,
            "field": self.field,
            "why": list(self.why),
            "state": self.state,
            "mark": mark.to_dict() if mark is not None else None,
        }


def _counts(items: Iterable[RequiredItem]) -> dict[str, int]:
    counts = dict.fromkeys(_STATES, 0)
    for item in items:
        counts[item.state] += 1
    return counts


@dataclass(frozen=True, slots=True)
class PatientSDV:
    """What the plans require of one child and its state."""

    patient_id: int
    study_id: str
    items: tuple[RequiredItem, ...]

    @property
    def counts(self) -> dict[str, int]:
        return _counts(self.items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "study_id": self.study_id,
            "counts": self.counts,
            "items": [item.to_dict() for item in self.items],
        }


@dataclass(frozen=True, slots=True)
class SiteSDV:
    """A site's SDV worklist: each child with required items, and the site's totals."""

    site: str
    patients: tuple[PatientSDV, ...] = field(default=())

    @property
    def counts(self) -> dict[str, int]:
        return _counts(item for patient in self.patients for item in patient.items)

    def to_dict(self) -> dict[str, Any]:
        return {"site": self.site, "counts": self.counts, "patients": [p.to_dict() for p in self.patients]}


@dataclass(frozen=True, slots=True)
class _Rows:
    """One chunk of patients' rows that the plans read."""

    enrollments: Mapping[int, list[str]]
    rows: Mapping[tuple[int, str], list[PatientOwned]]
    marks: Mapping[int, list[SourceVerification]]


def _inputs(protocol: Protocol, entry: VerificationEntry) -> DecisionInputs | None:
    if entry.eligibility_inputs:
        return eligibility_inputs(protocol)
    if entry.risk_inputs:
        return risk_inputs(protocol)
    return None


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _path_items(
    path: str, patient: Patient, rows: Mapping[tuple[int, str], list[PatientOwned]]
) -> Iterator[tuple[str, str, int | None, str | None, bool]]:
    """(item, form, row, field, recorded) of each item behind one record path."""
    head, _, rest = path.partition(".")
    if head == PATIENT_FORM and rest in PATIENT_FIELDS:
        yield item_key(PATIENT_FORM, field=rest), PATIENT_FORM, None, rest, getattr(patient, rest) is not None
    elif head in BASELINE_FIELDS:
        recorded = baseline_value(patient.baseline or {}, path) is not None
        yield item_key(BASELINE_FORM, field=path), BASELINE_FORM, None, path, recorded
    elif head == "consent" and rest:
        for row in rows.get((patient.id, _CONSENT), []):
            recorded = getattr(row, rest, None) is not None
            yield item_key(_CONSENT, row_id=row.id, field=rest), _CONSENT, row.id, rest, recorded
    elif head in _RECORD_LISTS and not rest:
        yield from _whole_rows(_RECORD_LISTS[head], patient.id, rows)


def _whole_rows(
    segment: str,
    patient_id: int,
    rows: Mapping[tuple[int, str], list[PatientOwned]],
    where: Mapping[str, Any] | None = None,
) -> Iterator[tuple[str, str, int | None, str | None, bool]]:
    for row in rows.get((patient_id, segment), []):
        if all(_plain(getattr(row, column)) == value for column, value in (where or {}).items()):
            yield item_key(segment, row_id=row.id), segment, row.id, None, True


def _entry_items(
    protocol: Protocol,
    entry: VerificationEntry,
    patient: Patient,
    rows: Mapping[tuple[int, str], list[PatientOwned]],
) -> Iterator[tuple[str, str, int | None, str | None, bool]]:
    if entry.form is not None:
        yield from _whole_rows(entry.form.value, patient.id, rows, entry.where or {})
        return
    inputs = _inputs(protocol, entry)
    assert inputs is not None
    for path in inputs.paths:
        yield from _path_items(path, patient, rows)
    points = {point.value for point in inputs.mrd_time_points}
    for row in rows.get((patient.id, "mrd"), []):
        if isinstance(row, MRDMeasurement) and _plain(row.time_point) in points:
            yield item_key("mrd", row_id=row.id), "mrd", row.id, None, True


def _covers(mark: SourceVerification, item: str) -> bool:
    """Whether ``mark`` covers ``item``: the item, the whole row of a field, a baseline path above it."""
    if mark.item == item:
        return True
    if mark.row_id is not None and mark.field is None:
        return item.startswith(mark.item)
    return mark.form == BASELINE_FORM and item.startswith(mark.item + ".")


def _deciding_mark(marks: Sequence[SourceVerification], item: str) -> SourceVerification | None:
    covering = [mark for mark in marks if _covers(mark, item)]
    verified = [mark for mark in covering if mark.state is SDVState.VERIFIED]
    found = verified or covering
    return found[0] if found else None


def _patient_sdv(patient: Patient, data: _Rows) -> PatientSDV:
    found: dict[str, tuple[str, int | None, str | None, bool, list[str]]] = {}
    for protocol_id in data.enrollments.get(patient.id, []):
        protocol = load_protocol(protocol_id)
        for entry in protocol.source_verification:
            for item, form, row_id, column, recorded in _entry_items(protocol, entry, patient, data.rows):
                why = f"{protocol.id}: {entry.kind}"
                reasons = found.setdefault(item, (form, row_id, column, recorded, []))[4]
                if why not in reasons:
                    reasons.append(why)
    marks = data.marks.get(patient.id, [])
    items = tuple(
        RequiredItem(item, form, row_id, column, tuple(why), recorded, _deciding_mark(marks, item))
        for item, (form, row_id, column, recorded, why) in found.items()
    )
    return PatientSDV(patient.id, patient.study_id, items)


def _segments(protocol_ids: Iterable[str]) -> set[str]:
    """The course forms the plans of these protocols read."""
    wanted: set[str] = set()
    for protocol_id in protocol_ids:
        protocol = load_protocol(protocol_id)
        for entry in protocol.source_verification:
            if entry.form is not None:
                wanted.add(entry.form.value)
            elif (inputs := _inputs(protocol, entry)) is not None:
                wanted.update({_CONSENT} if any(p.startswith("consent.") for p in inputs.paths) else set())
                wanted.update(_RECORD_LISTS[p] for p in inputs.paths if p in _RECORD_LISTS)
                wanted.update({"mrd"} if inputs.mrd_time_points else set())
    return wanted


def _load(session: StudySession, patient_ids: Sequence[int]) -> _Rows:
    enrollments: dict[int, list[str]] = {}
    for patient_id, protocol_id in session.execute(
        select(Enrollment.patient_id, Enrollment.protocol_id)
        .where(Enrollment.patient_id.in_(patient_ids))
        .order_by(Enrollment.id)
    ):
        enrollments.setdefault(patient_id, []).append(protocol_id)
    rows: dict[tuple[int, str], list[PatientOwned]] = {}
    for segment in sorted(_segments({p for ids in enrollments.values() for p in ids})):
        model = _KINDS[segment].model
        for row in session.scalars(select(model).where(model.patient_id.in_(patient_ids)).order_by(model.id)):
            rows.setdefault((row.patient_id, segment), []).append(row)
    marks: dict[int, list[SourceVerification]] = {}
    for mark in session.scalars(
        select(SourceVerification)
        .where(SourceVerification.patient_id.in_(patient_ids))
        .order_by(SourceVerification.id)
    ):
        marks.setdefault(mark.patient_id, []).append(mark)
    return _Rows(enrollments, rows, marks)


def read_sdv_status(session: StudySession, *, patient_id: int) -> PatientSDV:
    """What the SDV plans of the child's protocols require and the state of each item."""
    patient = get_patient(session, patient_id=patient_id)
    return _patient_sdv(patient, _load(session, [patient.id]))


_CHUNK = 500


def sdv_worklist(session: StudySession, *, site_code: str) -> SiteSDV:
    """A site's SDV worklist: every child the plans require items of, with each item's state.

    An unknown site is :class:`NotFound`; a site the actor may not read lists nothing.
    """
    site = site_by_code(session, code=site_code)
    ids = list(session.scalars(select(Patient.id).where(Patient.site_id == site.id).order_by(Patient.id)))
    found: list[PatientSDV] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        data = _load(session, chunk)
        patients = session.scalars(select(Patient).where(Patient.id.in_(chunk)).order_by(Patient.id))
        found += [sdv for patient in patients if (sdv := _patient_sdv(patient, data)).items]
    return SiteSDV(site.code, tuple(found))


@dataclass(frozen=True, slots=True)
class PlanLine:
    """One entry of a protocol's SDV plan with what it reads."""

    entry: VerificationEntry
    paths: tuple[str, ...]
    mrd_time_points: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "requires": self.entry.kind,
            "record_paths": list(self.paths),
            "mrd_time_points": list(self.mrd_time_points),
            "not_items": {path: NOT_ITEMS[path] for path in self.paths if path in NOT_ITEMS},
            "source": self.entry.source,
            "assumption": self.entry.assumption,
            "note": self.entry.note,
        }


def describe_plan(protocol: Protocol) -> list[PlanLine]:
    """The protocol's SDV plan, each entry with the record paths and MRD time points it requires."""
    lines = []
    for entry in protocol.source_verification:
        inputs = _inputs(protocol, entry)
        paths = inputs.paths if inputs else ()
        points = tuple(p.value for p in inputs.mrd_time_points) if inputs else ()
        lines.append(PlanLine(entry, paths, points))
    return lines


def sdv_plan_problems(protocol: Protocol) -> list[FieldProblem]:
    """Columns of a plan's ``where`` that the form's rows do not have, and record paths that no
    item carries (other than :data:`NOT_ITEMS`); empty when the plan maps onto the store."""
    problems = []
    for i, entry in enumerate(protocol.source_verification):
        if entry.form is not None:
            columns = row_columns(entry.form.value)
            problems += [
                FieldProblem(
                    f"source_verification[{i}].where.{name}", f"a {entry.form.value} row has no {name!r}"
                )
                for name in entry.where or {}
                if name not in columns
            ]
        inputs = _inputs(protocol, entry)
        for path in inputs.paths if inputs else ():
            head, _, rest = path.partition(".")
            known = (
                path in NOT_ITEMS
                or (head == PATIENT_FORM and rest in PATIENT_FIELDS)
                or head in BASELINE_FIELDS
                or (head == "consent" and rest in row_columns(_CONSENT))
                or (head in _RECORD_LISTS and not rest)
            )
            if not known:
                problems.append(
                    FieldProblem(f"source_verification[{i}]", f"no item of a form carries {path!r}")
                )
    return problems
