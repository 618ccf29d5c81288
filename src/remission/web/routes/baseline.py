"""Correcting a patient's baseline (diagnosis, KMT2A, WBC, CNS status, ...) with a reason for the change.

The change is saved by :func:`remission.store.update_patient`, the function behind the API's
``PATCH /patients/{id}``, in one store session with the reason, so the audit trail keeps the old
and new values with it, the record model checks the whole baseline before anything is written,
and risk stratification re-runs. Who may change the patient is the store's rule (roles that may
write the patient's site); another site's patient is not found.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from remission.errors import InputError
from remission.store import (
    BASELINE_FORM,
    MAX_ID,
    Patient,
    Refused,
    VersionConflict,
    get_patient,
    update_patient,
)
from remission.web.baseline_form import (
    FIELDS,
    baseline_changes,
    current_text,
    read_baseline_form,
    shown_field,
)
from remission.web.forms import Submission, reason_of, version_of
from remission.web.missing_view import baseline_codes
from remission.web.pages import redirect, render
from remission.web.query_view import form_markers
from remission.web.viewer import FormDep, ViewerDep, writable_patient

router = APIRouter(include_in_schema=False)
PatientId = Annotated[int, Path(ge=1, le=MAX_ID)]
LABELS = {spec.name: spec.label for spec in FIELDS} | {"reason": "Reason for this change"}


def _page(
    request: Request,
    patient: Patient,
    codes: dict[str, str],
    submission: Submission,
    *,
    version: int,
    reason: str = "",
    conflict: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "nav": "patients",
        "patient": patient,
        "fields": FIELDS,
        "labels": LABELS,
        "submission": submission,
        "version": version,
        "reason": reason,
        "conflict": conflict,
        "codes": codes,
    } | form_markers(request, patient.id, BASELINE_FORM, None)
    return render(request, "baseline.html", context, status=status)


@router.get("/patients/{patient_id}/baseline")
def baseline_form(request: Request, viewer: ViewerDep, patient_id: PatientId) -> Response:
    """The form with the stored baseline values filled in."""
    with request.app.state.store.session(viewer.actor) as session:
        patient = writable_patient(session, viewer, patient_id)
        submission = Submission(raw=current_text(patient.baseline), values={})
        codes = baseline_codes(session, patient_id)
        return _page(request, patient, codes, submission, version=patient.version)


def _problems(submission: Submission, error: InputError | Refused) -> None:
    """Each problem of the record model (or the store) under its input."""
    if isinstance(error, Refused):
        submission.errors.setdefault(shown_field(error.field), error.problem)
        return
    for problem in error.problems:
        submission.errors.setdefault(shown_field(problem.field), problem.problem)


@router.post("/patients/{patient_id}/baseline")
def save_baseline(request: Request, viewer: ViewerDep, form: FormDep, patient_id: PatientId) -> Response:
    """Save the corrected values: a reason is required, the version read must still be current
    (else 409 with the stored values), and a value the record refuses writes nothing (422)."""
    store = request.app.state.store
    version = version_of(form)
    with store.session(viewer.actor) as session:
        patient = writable_patient(session, viewer, patient_id)
        submission = read_baseline_form(form)
        reason = reason_of(form, submission)
        codes = baseline_codes(session, patient_id)
        if not submission.ok:
            return _page(request, patient, codes, submission, version=version, reason=reason, status=422)
        changes = baseline_changes(patient.baseline, submission)
        if not changes:
            return redirect(request, f"/patients/{patient_id}")
    try:
        with store.session(viewer.actor, reason=reason) as session:
            update_patient(
                session,
                patient_id=patient_id,
                version=version,
                changes={"baseline": changes},
                today=date.today(),
            )
    except VersionConflict:
        with store.session(viewer.actor) as session:
            patient = get_patient(session, patient_id=patient_id)
            conflict = current_text(patient.baseline)
            return _page(
                request,
                patient,
                codes,
                submission,
                version=patient.version,
                reason=reason,
                conflict=conflict,
                status=409,
            )
    except (InputError, Refused) as error:
        _problems(submission, error)
        with store.session(viewer.actor) as session:
            patient = get_patient(session, patient_id=patient_id)
            return _page(request, patient, codes, submission, version=version, reason=reason, status=422)
    return redirect(request, f"/patients/{patient_id}?saved=baseline")
