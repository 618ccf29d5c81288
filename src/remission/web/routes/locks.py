"""The freezes and locks page: what is frozen or locked now, and for data managers and admins the forms
to freeze, lock and release (with a reason). The store checks the roles, the casebook's signatures and
the sites; a refusal comes back on the page with its message."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from remission.errors import InputError
from remission.store import (
    COURSE_KINDS,
    MAX_ID,
    AccessDenied,
    LockLevel,
    LockState,
    Refused,
    VersionConflict,
    find_patient,
    get_patient,
    list_locks,
    list_sites,
    may_release_locks,
    may_set_locks,
    release_lock,
    set_lock,
    site_codes,
)
from remission.web.forms import version_of
from remission.web.pages import redirect, render
from remission.web.viewer import FormDep, Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
LockId = Annotated[int, Path(ge=1, le=MAX_ID)]
FORMS = ["baseline", *(kind.segment for kind in COURSE_KINDS)]


def _page(
    request: Request,
    viewer: Viewer,
    *,
    problem: str = "",
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with request.app.state.store.session(viewer.actor) as session:
        codes = site_codes(session)
        locks = list_locks(session)
        studies = {
            lock.patient_id: get_patient(session, patient_id=lock.patient_id).study_id
            for lock in locks
            if lock.patient_id is not None
        }
        sites = [site.code for site in list_sites(session)]
    context: dict[str, Any] = {
        "nav": "locks",
        "locks": locks,
        "site_codes": codes,
        "studies": studies,
        "sites": sites,
        "forms": FORMS,
        "levels": [level.value for level in LockLevel],
        "states": [state.value for state in LockState],
        "may_set": may_set_locks(viewer.actor),
        "may_unlock": may_release_locks(viewer.actor),
        "problem": problem,
        "values": values or {},
    }
    return render(request, "locks.html", context, status=status)


@router.get("/locks")
def locks_page(request: Request, viewer: ViewerDep) -> Response:
    """Active freezes and locks the viewer may see; the setting form for data managers and admins."""
    return _page(request, viewer)


def _text(form: Any, name: str, limit: int = 2000) -> str:
    return str(form.get(name, "")).strip()[:limit]


@router.post("/locks")
def add_lock(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """Freeze or lock the chosen target; a refusal (e.g. missing signatures) is shown with the form."""
    values = {
        name: _text(form, name)
        for name in ("level", "state", "site", "study_id", "form", "row_id", "reason", "override_reason")
    }
    try:
        level, state = LockLevel(values["level"]), LockState(values["state"])
    except ValueError:
        return _page(
            request,
            viewer,
            problem="Choose what to freeze or lock, and whether to freeze or lock it.",
            values=values,
            status=422,
        )
    row = values["row_id"]
    try:
        with request.app.state.store.session(
            viewer.actor, reason=values["reason"] or f"{state.value} {level.value}"
        ) as session:
            patient_id = None
            if values["study_id"] and level in (LockLevel.CASEBOOK, LockLevel.FORM):
                patient = find_patient(session, study_id=values["study_id"])
                if patient is None:
                    raise Refused("study_id", f"no patient {values['study_id']!r} that you may read")
                patient_id = patient.id
            set_lock(
                session,
                level=level,
                state=state,
                site_code=values["site"] if level is LockLevel.SITE else None,
                patient_id=patient_id,
                form=values["form"] if level is LockLevel.FORM else None,
                row_id=int(row)
                if level is LockLevel.FORM and row.isdigit() and 0 < int(row) <= MAX_ID
                else None,
                reason=values["reason"] or None,
                override_reason=values["override_reason"] or None,
            )
    except (Refused, AccessDenied, InputError) as refused:
        message = f"{refused.field}: {refused.problem}" if isinstance(refused, Refused) else str(refused)
        return _page(request, viewer, problem=message, values=values, status=422)
    return redirect(request, "/locks")


@router.post("/locks/{lock_id}/release")
def unlock(request: Request, viewer: ViewerDep, form: FormDep, lock_id: LockId) -> Response:
    """Unfreeze or unlock with a reason (only an admin unlocks locked data)."""
    reason = _text(form, "reason")
    try:
        with request.app.state.store.session(viewer.actor, reason=reason or "release") as session:
            release_lock(session, lock_id=lock_id, version=version_of(form), reason=reason)
    except (Refused, VersionConflict) as refused:
        message = f"{refused.field}: {refused.problem}" if isinstance(refused, Refused) else str(refused)
        return _page(request, viewer, problem=message, status=422)
    return redirect(request, "/locks")
