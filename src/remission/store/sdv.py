"""Marking items of a patient's data verified against the source (SDV), and listing the marks.

A monitor marks a field (``baseline`` and a dotted path, ``patient`` and ``date_of_birth`` or
``sex``, a course form with ``row_id`` and a column) or a whole course row (a form, ``field``
left out) verified. The mark stays *verified* until the value changes; then the session resets it
in the same transaction (:mod:`remission.store.sdv_resets`), and the monitor verifies it again.
Who may mark is checked here and again in the session's write check, whatever the caller. Reads go
through the actor's site scope, so another site's patient or row is :class:`NotFound`.
"""

from __future__ import annotations

from contextlib import nullcontext

from sqlalchemy import inspect, select

from remission.errors import FieldProblem, InputError
from remission.store.actor import AccessDenied
from remission.store.audit import store_reason
from remission.store.base import utc_now
from remission.store.course_kinds import BASELINE_FORM, COURSE_KINDS, PATIENT_FIELDS, PATIENT_FORM
from remission.store.errors import Conflict
from remission.store.events import get_row
from remission.store.missing_data_items import check_baseline_path, item_key
from remission.store.patients import get_patient
from remission.store.sdv_models import SDVState, SourceVerification
from remission.store.sdv_resets import may_verify
from remission.store.session import StudySession

_SOURCE = "SDV mark"
_KINDS = {kind.segment: kind for kind in COURSE_KINDS}
_BOOKKEEPING = frozenset({"id", "version", "created_at", "patient_id", "site_id"})
#: The forms an SDV mark may name.
SDV_FORMS = (BASELINE_FORM, PATIENT_FORM, *_KINDS)


def _problem(field: str, problem: str) -> InputError:
    return InputError(_SOURCE, [FieldProblem(field, problem)])


def row_columns(form: str) -> list[str]:
    """The recorded columns of a course form's rows (what a field mark on one of its rows may name)."""
    return [a.key for a in inspect(_KINDS[form].model).column_attrs if a.key not in _BOOKKEEPING]


def _check_item(
    session: StudySession, *, patient_id: int, form: str, row_id: int | None, field: str | None
) -> None:
    """Refuse an item the patient's data does not have, naming the field at fault."""
    get_patient(session, patient_id=patient_id)
    if form in (BASELINE_FORM, PATIENT_FORM):
        if row_id is not None:
            raise _problem("row_id", f"the {form} form has no rows; leave row_id out")
        if not field:
            raise _problem("field", f"give the {form} field to verify")
        if form == PATIENT_FORM and field not in PATIENT_FIELDS:
            raise _problem("field", f"{field!r} is not one of {', '.join(PATIENT_FIELDS)}")
        if form == BASELINE_FORM:
            try:
                check_baseline_path(field)
            except InputError as error:
                raise InputError(_SOURCE, error.problems) from None
        return
    if form not in _KINDS:
        raise _problem("form", f"{form!r} is not one of {', '.join(SDV_FORMS)}")
    if row_id is None:
        raise _problem("row_id", f"a {form} item needs the row (and a field, or none for the whole row)")
    get_row(session, model=_KINDS[form].model, patient_id=patient_id, row_id=row_id)
    if field is not None and field not in row_columns(form):
        raise _problem(
            "field", f"a {_KINDS[form].title} has no field {field!r} ({', '.join(row_columns(form))})"
        )


def verify_item(
    session: StudySession, *, patient_id: int, form: str, row_id: int | None = None, field: str | None = None
) -> SourceVerification:
    """Mark an item verified against the source; the mark, stamped with who verified it and when.

    ``field`` left out on a course form marks the whole row (the form). A mark that was reset is
    verified again (audited, the reason "verified again against the source" unless the session has
    one); one that is verified is a :class:`Conflict`. Raises :class:`AccessDenied` for anyone but a
    monitor, :class:`InputError` naming the field for an item that does not exist, :class:`NotFound`
    for another site's patient or row.
    """
    get_patient(session, patient_id=patient_id)  # another site's patient is not found before anything
    if not may_verify(session.actor):
        raise AccessDenied(f"{session.actor.username} may not mark source data verified (a monitor's task)")
    field = field or None
    _check_item(session, patient_id=patient_id, form=form, row_id=row_id, field=field)
    key = item_key(form, row_id=row_id, field=field)
    mark = session.scalar(
        select(SourceVerification).where(
            SourceVerification.patient_id == patient_id, SourceVerification.item == key
        )
    )
    if mark is not None and mark.state is SDVState.VERIFIED:
        raise Conflict(
            f"{key} is already verified (by {mark.verified_by}, {mark.verified_at:%Y-%m-%d %H:%M} UTC)",
            field="field" if field else "row_id",
        )
    again = mark is not None
    if mark is None:
        patient = get_patient(session, patient_id=patient_id)
        mark = SourceVerification(
            patient_id=patient.id, site_id=patient.site_id, item=key, form=form, row_id=row_id, field=field
        )
        session.add(mark)
    mark.state, mark.verified_by, mark.verified_at = SDVState.VERIFIED, session.actor.username, utc_now()
    mark.reset_at = mark.reset_note = None
    with store_reason(session, "verified again against the source") if again else nullcontext():
        session.flush()
    return mark


def list_marks(session: StudySession, *, patient_id: int) -> list[SourceVerification]:
    """The patient's SDV marks in entry order."""
    get_patient(session, patient_id=patient_id)
    return list(
        session.scalars(
            select(SourceVerification)
            .where(SourceVerification.patient_id == patient_id)
            .order_by(SourceVerification.id)
        )
    )
