"""Forms for a patient's course rows: add, change (with a reason), delete (with a reason).

Every write goes through the store's course-row functions in a study session for the viewer, so
site isolation, the audit trail and risk re-stratification after MRD changes apply as in the
API. A change names the version it was made on; if the row moved on meanwhile the form comes
back with the stored values beside the typed ones (409).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from remission import store as study_store
from remission.errors import InputError
from remission.record.anthracyclines import conversion_factors
from remission.store import (
    MAX_ID,
    Conflict,
    CourseKind,
    Patient,
    Refused,
    StudySession,
    VersionConflict,
    course_kind,
    current_assignments,
    dose_lines,
    get_patient,
)
from remission.web import ctcae, mrd_entry
from remission.web.fields import FormField, fields_for
from remission.web.formatting import mg_text
from remission.web.forms import (
    MAX_REASON,
    Submission,
    read_form,
    reason_of,
    stored_text,
    validate,
    version_of,
)
from remission.web.pages import finish, redirect, render
from remission.web.phase_choices import phase_choices
from remission.web.query_view import form_markers
from remission.web.viewer import FormDep, ViewerDep, writable_patient

router = APIRouter(include_in_schema=False)
PatientId = Annotated[int, Path(ge=1, le=MAX_ID)]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
Segment = Annotated[str, Path(max_length=40)]
REASON_LABELS = {"reason": "Reason for this change", "delete_reason": "Reason for deleting"}


def _fields(
    session: StudySession, segment: str, patient_id: int, current: str | None = None
) -> tuple[FormField, ...]:
    """The form's fields; the phase form offers the phases of the child's arm or track."""
    if segment != "treatment-phases":
        return fields_for(segment)
    offer = phase_choices(current_assignments(session, patient_ids=[patient_id]).get(patient_id, []))
    return fields_for(segment, phases=offer.phases, current=current, phase_help=offer.help)


def _page(
    request: Request,
    session: StudySession,
    patient: Patient,
    spec: CourseKind,
    submission: Submission,
    *,
    row: Any = None,
    reason: str = "",
    conflict: dict[str, str] | None = None,
    status: int = 200,
    problem: str = "",
    unit: str = "fraction",
    confirm: str = "",
) -> Response:
    # The saved row's phase stays choosable on its edit form; a new row gets only the offered ones.
    current = getattr(row, "phase_id", None)
    fields = _fields(session, spec.segment, patient.id, current)
    context = {
        "nav": "patients",
        "patient": patient,
        "spec": spec,
        "fields": fields,
        "labels": {f.name: f.label for f in fields} | REASON_LABELS,
        "submission": submission,
        "row": row,
        "reason": reason,
        "conflict": conflict,
        "problem": problem,
        "terms": ctcae.terms() if spec.segment == "adverse-events" else (),
        "doses": dose_lines(session, patient_id=patient.id) if spec.segment == "anthracycline-doses" else [],
        "mrd_units": mrd_entry.UNITS,
        "mrd_unit": unit,
        "confirm": confirm,
        "confirm_token": mrd_entry.token(submission, unit) if confirm else "",
    }
    if row is not None:
        context |= form_markers(request, patient.id, spec.segment, row.id)
    return render(request, "row_form.html", context, status=status)


def _blank(spec: CourseKind, session: StudySession, patient_id: int) -> Submission:
    fields = _fields(session, spec.segment, patient_id)
    raw = {field.name: "" for field in fields}
    if spec.segment == "adverse-events":
        raw["terminology"] = ctcae.terminology()
    return Submission(raw=raw, values={})


@router.get("/patients/{patient_id}/{segment}/new")
def new_row(request: Request, viewer: ViewerDep, patient_id: PatientId, segment: Segment) -> Response:
    spec = course_kind(segment)
    with request.app.state.store.session(viewer.actor) as session:
        patient = writable_patient(session, viewer, patient_id)
        return _page(request, session, patient, spec, _blank(spec, session, patient.id))


def _store_problem(submission: Submission, error: Exception) -> str:
    """Put a store refusal next to its field when it names one; return the rest as a page message."""
    if isinstance(error, Refused) and error.field in submission.raw:
        submission.errors[error.field] = error.problem
        return ""
    if isinstance(error, InputError):
        for problem in error.problems:
            submission.errors.setdefault(problem.field.split(".")[-1], problem.problem)
        return ""
    if isinstance(error, Conflict):
        return "This conflicts with a stored record (a patient has one death, for example)."
    return str(error)


@router.post("/patients/{patient_id}/{segment}/new")
def create_row(
    request: Request, viewer: ViewerDep, form: FormDep, patient_id: PatientId, segment: Segment
) -> Response:
    spec = course_kind(segment)
    store = request.app.state.store
    with store.session(viewer.actor) as session:
        patient = writable_patient(session, viewer, patient_id)
        fields = _fields(session, segment, patient.id)
        submission, unit = _read(segment, spec, fields, form)
        if not submission.ok:
            return _page(request, session, patient, spec, submission, status=422, unit=unit)
        if segment == "mrd" and mrd_entry.needs_confirmation(form, submission, unit):
            echo = mrd_entry.echo(submission, unit)
            return _page(request, session, patient, spec, submission, unit=unit, confirm=echo)
    try:
        with store.session(viewer.actor) as session:
            study_store.create_row(session, model=spec.model, patient_id=patient_id, values=submission.values)
    except (Refused, InputError, Conflict) as error:
        problem = _store_problem(submission, error)
        with store.session(viewer.actor) as session:
            patient = get_patient(session, patient_id=patient_id)
            return _page(request, session, patient, spec, submission, status=422, problem=problem, unit=unit)
    return redirect(request, f"/patients/{patient_id}?saved={segment}")


def _read(segment: str, spec: CourseKind, fields: tuple[FormField, ...], form: Any) -> tuple[Submission, str]:
    """The submitted row, checked with the API's schema; an MRD value in the unit chosen is made
    the stored fraction first (:mod:`remission.web.mrd_entry`). Returns the unit too."""
    submission = read_form(fields, form)
    unit = "fraction"
    if segment == "mrd":
        unit = mrd_entry.unit_of(form, submission)
        mrd_entry.apply_unit(submission, unit)
    validate(segment, spec.create, submission)
    return submission, unit


def _saved_row(
    session: Any, viewer: Any, spec: Any, segment: str, patient_id: int, row_id: int
) -> tuple[Any, Any, Any]:
    """The patient (writable by the viewer), the saved row and the form fields that edit it."""
    patient = writable_patient(session, viewer, patient_id)
    row = study_store.get_row(session, model=spec.model, patient_id=patient_id, row_id=row_id)
    fields = _fields(session, segment, patient.id, getattr(row, "phase_id", None))
    return patient, row, fields


@router.get("/patients/{patient_id}/{segment}/{row_id}/edit")
def edit_row(
    request: Request, viewer: ViewerDep, patient_id: PatientId, segment: Segment, row_id: RowId
) -> Response:
    spec = course_kind(segment)
    with request.app.state.store.session(viewer.actor) as session:
        patient, row, fields = _saved_row(session, viewer, spec, segment, patient_id, row_id)
        submission = Submission(raw=stored_text(fields, row), values={})
        return _page(request, session, patient, spec, submission, row=row)


@router.post("/patients/{patient_id}/{segment}/{row_id}/edit")
def update_row(
    request: Request, viewer: ViewerDep, form: FormDep, patient_id: PatientId, segment: Segment, row_id: RowId
) -> Response:
    """Save a change: the reason is required, and the version read must still be current (else 409)."""
    spec = course_kind(segment)
    store = request.app.state.store
    with store.session(viewer.actor) as session:
        patient, row, fields = _saved_row(session, viewer, spec, segment, patient_id, row_id)
        submission, unit = _read(segment, spec, fields, form)
        reason = reason_of(form, submission)
        if not submission.ok:
            return _page(
                request, session, patient, spec, submission, row=row, reason=reason, status=422, unit=unit
            )
        stored = getattr(row, "value_fraction", None)
        if segment == "mrd" and mrd_entry.needs_confirmation(form, submission, unit, stored):
            echo = mrd_entry.echo(submission, unit)
            return _page(
                request, session, patient, spec, submission, row=row, reason=reason, unit=unit, confirm=echo
            )
        changes = {name: value for name, value in submission.values.items() if getattr(row, name) != value}
        if not changes:
            return redirect(request, f"/patients/{patient_id}")
    try:
        with store.session(viewer.actor, reason=reason) as session:
            study_store.update_row(
                session,
                model=spec.model,
                patient_id=patient_id,
                row_id=row_id,
                version=version_of(form),
                values=changes,
            )
    except VersionConflict:
        with store.session(viewer.actor) as session:
            patient = get_patient(session, patient_id=patient_id)
            row = study_store.get_row(session, model=spec.model, patient_id=patient_id, row_id=row_id)
            conflict = stored_text(fields, row)
            return _page(
                request,
                session,
                patient,
                spec,
                submission,
                row=row,
                reason=reason,
                conflict=conflict,
                status=409,
                unit=unit,
            )
    except (Refused, InputError, Conflict) as error:
        problem = _store_problem(submission, error)
        with store.session(viewer.actor) as session:
            patient = get_patient(session, patient_id=patient_id)
            return _page(
                request,
                session,
                patient,
                spec,
                submission,
                row=row,
                reason=reason,
                status=422,
                problem=problem,
                unit=unit,
            )
    return redirect(request, f"/patients/{patient_id}?saved={segment}")


@router.post("/patients/{patient_id}/{segment}/{row_id}/delete")
def delete_row(
    request: Request, viewer: ViewerDep, form: FormDep, patient_id: PatientId, segment: Segment, row_id: RowId
) -> Response:
    """Delete with a reason, on the version read (a stale version gets the 409 page)."""
    spec = course_kind(segment)
    store = request.app.state.store
    with store.session(viewer.actor) as session:
        patient, row, fields = _saved_row(session, viewer, spec, segment, patient_id, row_id)
        submission = Submission(raw=stored_text(fields, row), values={})
        reason = str(form.get("delete_reason", "")).strip()[:MAX_REASON]
        if not reason:
            submission.errors["delete_reason"] = (
                "Say why the record is deleted; the reason goes into the audit trail."
            )
            return _page(request, session, patient, spec, submission, row=row, status=422)
    with store.session(viewer.actor, reason=reason) as session:
        study_store.delete_row(
            session, model=spec.model, patient_id=patient_id, row_id=row_id, version=version_of(form)
        )
    return redirect(request, f"/patients/{patient_id}?saved=deleted")


@router.post("/patients/{patient_id}/anthracycline-doses/preview")
def preview_dose(request: Request, viewer: ViewerDep, form: FormDep, patient_id: PatientId) -> Response:
    """The running doxorubicin-equivalent total with the dose being typed (an htmx fragment)."""
    with request.app.state.store.session(viewer.actor) as session:
        lines = dose_lines(session, patient_id=patient_id)
    total = lines[-1].running_total_mg_per_m2 if lines else 0.0
    drug = str(form.get("drug", "")).lower()
    try:
        dose = float(str(form.get("dose_mg_per_m2", "")))
    except ValueError:
        dose = None
    factor = conversion_factors().get(drug)
    if dose is None or drug not in conversion_factors() or dose <= 0:
        text = f"Total so far: {mg_text(total)}. Choose a drug and a dose to see the total with this dose."
    elif factor is None or total is None:
        text = f"{drug} has no agreed doxorubicin-equivalent factor: the total is unknown from this dose on."
    else:
        text = (
            f"This dose: {mg_text(dose * factor)} doxorubicin-equivalent (× {factor:g}). "
            f"Total with it: {mg_text(total + dose * factor)} (so far {mg_text(total)})."
        )
    return finish(request, HTMLResponse(text))
