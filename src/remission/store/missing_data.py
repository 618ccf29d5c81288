"""Recording, clearing and listing missing-data codes (*not done*, *unknown*, …) of a patient's items.

A code says why an item has no value; it is stored apart from values (``missing_data_codes``),
never as a magic number in one. An item holds a value or a code, never both: a code on a field
that has a value is refused (:class:`Conflict` naming the field), and a value written later
removes the code in the same transaction (:func:`remission.store.missing_data_items.drop_superseded_codes`).
Who may record a code is who may write the patient's clinical data: the session's write check
decides, as for every clinical row. Every change is audited.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from remission.conduct import ItemState
from remission.errors import FieldProblem, InputError
from remission.record.vocabulary import MissingCode
from remission.store.calendar import read_calendar
from remission.store.course_kinds import BASELINE_FORM
from remission.store.errors import Conflict, NotFound
from remission.store.events import get_row
from remission.store.missing_data_items import (
    baseline_value,
    check_baseline_path,
    check_row_column,
    course_model,
    is_course_form,
    item_key,
)
from remission.store.missing_data_models import CALENDAR_FORM, MissingDataCode
from remission.store.patients import get_patient
from remission.store.session import StudySession
from remission.store.versioning import flush_or_conflict, require_version

_SOURCE = "missing-data code"


def _problem(field: str, problem: str) -> InputError:
    return InputError(_SOURCE, [FieldProblem(field, problem)])


def _unexpected(form: str, **given: object) -> None:
    extra = sorted(name for name, value in given.items() if value is not None)
    if extra:
        raise _problem(extra[0], f"not part of an item of form {form!r}")


def _check_item(
    session: StudySession,
    *,
    patient_id: int,
    form: str,
    row_id: int | None,
    field: str | None,
    protocol_id: str | None,
    assessment: str | None,
    occurrence: str | None,
) -> None:
    """Refuse an item that does not exist, or a field that holds a value (naming the field)."""
    patient = get_patient(session, patient_id=patient_id)
    if form == BASELINE_FORM:
        _unexpected(
            form, row_id=row_id, protocol_id=protocol_id, assessment=assessment, occurrence=occurrence
        )
        if not field:
            raise _problem(
                "field", "give the baseline field, a dotted record path such as genetics.kmt2a.status"
            )
        check_baseline_path(field)
        if baseline_value(patient.baseline, field) is not None:
            raise Conflict(f"{field} holds a value; clear the value first, then record a code", field=field)
    elif is_course_form(form):
        _unexpected(form, protocol_id=protocol_id, assessment=assessment, occurrence=occurrence)
        if row_id is None or not field:
            raise _problem("row_id" if row_id is None else "field", f"a {form} item needs row_id and field")
        row = get_row(session, model=course_model(form), patient_id=patient_id, row_id=row_id)
        check_row_column(form, row, field)
        if getattr(row, field) is not None:
            raise Conflict(
                f"{field} of {form} row {row_id} holds a value; clear the value first", field=field
            )
    elif form == CALENDAR_FORM:
        _unexpected(form, row_id=row_id, field=field)
        _check_occurrence(session, patient_id, protocol_id, assessment, occurrence or "")
    else:
        raise _problem("form", f"{form!r} is not one of baseline, calendar or a course-row kind")


def _check_occurrence(
    session: StudySession, patient_id: int, protocol_id: str | None, assessment: str | None, occurrence: str
) -> None:
    """The occurrence must be on the patient's calendar under that protocol, and not done."""
    if not protocol_id:
        raise _problem("protocol_id", "give the protocol the patient is enrolled in")
    if not assessment:
        raise _problem("assessment", "give the assessment id of the protocol's schedule")
    calendars = {c.protocol_id: c for c in read_calendar(session, patient_id=patient_id, as_of=date.today())}
    if protocol_id not in calendars:
        raise _problem("protocol_id", f"the patient is not enrolled in {protocol_id!r}")
    items = [item for item in calendars[protocol_id].items if item.assessment == assessment]
    if not items:
        raise _problem("assessment", f"{assessment!r} is not an assessment of {protocol_id}'s schedule")
    found = next((item for item in items if item.occurrence == occurrence), None)
    if found is None:
        listed = ", ".join(repr(item.occurrence) for item in items)
        raise _problem("occurrence", f"{occurrence!r} is not an occurrence of {assessment} (one of {listed})")
    if found.state in (ItemState.DONE, ItemState.NOT_APPLICABLE):
        what = " ".join(filter(None, (assessment, occurrence)))
        raise Conflict(f"{what} is {found.state.value}; it needs no code", field="occurrence")


def set_missing_code(
    session: StudySession,
    *,
    patient_id: int,
    form: str,
    row_id: int | None = None,
    field: str | None = None,
    protocol_id: str | None = None,
    assessment: str | None = None,
    occurrence: str | None = None,
    code: MissingCode | str,
    note: str | None = None,
) -> MissingDataCode:
    """Record why an item has no value; the new row, stamped with who recorded it and when.

    ``form`` is ``baseline`` (``field`` a dotted record path), a course-row segment (``row_id``
    and ``field`` a nullable column) or ``calendar`` (``protocol_id``, ``assessment`` and
    ``occurrence``, ``""`` for a single assessment). Raises :class:`InputError` naming the field
    for an item that does not exist, :class:`Conflict` for a field holding a value or an item
    already coded, :class:`NotFound` for another site's patient or row.
    """
    try:
        chosen = MissingCode(code)
    except ValueError:
        raise _problem("code", f"{code!r} is not one of {', '.join(c.value for c in MissingCode)}") from None
    if form == CALENDAR_FORM:
        occurrence = occurrence or ""
    _check_item(
        session,
        patient_id=patient_id,
        form=form,
        row_id=row_id,
        field=field,
        protocol_id=protocol_id,
        assessment=assessment,
        occurrence=occurrence,
    )
    key = item_key(
        form,
        row_id=row_id,
        field=field,
        protocol_id=protocol_id,
        assessment=assessment,
        occurrence=occurrence,
    )
    existing = session.scalar(
        select(MissingDataCode).where(MissingDataCode.patient_id == patient_id, MissingDataCode.item == key)
    )
    if existing is not None:
        raise Conflict(
            f"{key} already carries the code {existing.code.value!r}; clear it first",
            field="field" if form != CALENDAR_FORM else "occurrence",
        )
    patient = get_patient(session, patient_id=patient_id)
    row = MissingDataCode(
        patient_id=patient.id,
        site_id=patient.site_id,
        item=key,
        form=form,
        row_id=row_id,
        field=field,
        protocol_id=protocol_id,
        assessment=assessment,
        occurrence=occurrence,
        code=chosen,
        note=note or None,
        recorded_by=session.actor.username,
    )
    session.add(row)
    session.flush()
    return row


def get_missing_code(
    session: StudySession, *, code_id: int, patient_id: int | None = None
) -> MissingDataCode:
    """One code (of ``patient_id`` when given); another site's is :class:`NotFound` like a missing one."""
    row = session.get(MissingDataCode, code_id)
    if row is None or (patient_id is not None and row.patient_id != patient_id):
        raise NotFound("missing-data code", code_id)
    return row


def clear_missing_code(
    session: StudySession, *, code_id: int, version: int, patient_id: int | None = None
) -> None:
    """Remove a code read at ``version`` (of ``patient_id`` when given); the session needs a reason,
    as for every deletion."""
    row = get_missing_code(session, code_id=code_id, patient_id=patient_id)
    require_version(row, version)
    session.delete(row)
    flush_or_conflict(session, row)


def list_missing_codes(session: StudySession, *, patient_id: int) -> list[MissingDataCode]:
    """The patient's codes in entry order."""
    get_patient(session, patient_id=patient_id)
    return list(
        session.scalars(
            select(MissingDataCode)
            .where(MissingDataCode.patient_id == patient_id)
            .order_by(MissingDataCode.id)
        )
    )
