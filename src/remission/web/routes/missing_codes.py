"""Recording and clearing missing-data codes from the patient page (a field, or a calendar item).

The store decides: the item must exist, a field holding a value is refused (409 naming it), and
only roles that may write the patient's site record or clear a code. Errors show the error page
with the field named; success goes back to the patient page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from remission.store import CALENDAR_FORM, MAX_ID, clear_missing_code, set_missing_code
from remission.web.forms import Submission, reason_of, version_of
from remission.web.missing_view import parse_item
from remission.web.pages import error_page, redirect
from remission.web.viewer import FormDep, ViewerDep, writable_patient

router = APIRouter(include_in_schema=False)
PatientId = Annotated[int, Path(ge=1, le=MAX_ID)]
CodeId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _text(form: FormDep, name: str) -> str | None:
    value = str(form.get(name, "")).strip()
    return value or None


@router.post("/patients/{patient_id}/missing-codes")
def record_code(request: Request, viewer: ViewerDep, form: FormDep, patient_id: PatientId) -> Response:
    """Record a code on the chosen field (``item``), or on a calendar item (``form=calendar``)."""
    item: dict[str, Any]
    if _text(form, "form") == CALENDAR_FORM:
        item = {
            "form": CALENDAR_FORM,
            "protocol_id": _text(form, "protocol_id"),
            "assessment": _text(form, "assessment"),
            "occurrence": str(form.get("occurrence", "")),
        }
        anchor = "calendar"
    else:
        item = parse_item(str(form.get("item", "")))
        anchor = "missing-codes"
    with request.app.state.store.session(viewer.actor) as session:
        writable_patient(session, viewer, patient_id)
        set_missing_code(
            session, patient_id=patient_id, code=str(form.get("code", "")), note=_text(form, "note"), **item
        )
    return redirect(request, f"/patients/{patient_id}?saved=missing-code#{anchor}")


@router.post("/patients/{patient_id}/missing-codes/{code_id}/clear")
def clear_code(
    request: Request, viewer: ViewerDep, form: FormDep, patient_id: PatientId, code_id: CodeId
) -> Response:
    """Clear a code read at ``version``, with a reason (audited)."""
    submission = Submission(raw={}, values={})
    reason = reason_of(form, submission)
    if submission.errors:
        return error_page(request, 422, "Reason needed", submission.errors["reason"])
    with request.app.state.store.session(viewer.actor, reason=reason) as session:
        writable_patient(session, viewer, patient_id)
        clear_missing_code(session, code_id=code_id, version=version_of(form), patient_id=patient_id)
    return redirect(request, f"/patients/{patient_id}?saved=missing-code#missing-codes")
