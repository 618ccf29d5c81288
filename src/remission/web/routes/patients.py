"""The patient list, the patient page and (for the patient's own site) the direct identifiers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from remission.store import (
    MAX_ID,
    PER_PAGE,
    STATUSES,
    get_patient,
    list_queries,
    list_signatures,
    list_sites,
    lock_on,
    may_review_queries,
    may_sign,
    may_verify,
    patient_consent_actions,
    patient_page,
    read_identifiers,
    required_signatures,
)
from remission.web.missing_view import missing_view
from remission.web.pages import render
from remission.web.patient_view import patient_view
from remission.web.query_view import item_text, item_url
from remission.web.sdv_view import sdv_view
from remission.web.viewer import ViewerDep

router = APIRouter(include_in_schema=False)
PatientId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/patients")
def list_patients(
    request: Request,
    viewer: ViewerDep,
    search: Annotated[str, Query(max_length=64)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    site: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Patients the viewer may read; search by study id, filter by status and (study roles) site."""
    status = status if status in STATUSES else ""
    with request.app.state.store.session(viewer.actor) as session:
        rows, total = patient_page(session, search=search.strip(), status=status, site=site, page=page)
        sites = [s.code for s in list_sites(session)]
    pages = max(1, -(-total // PER_PAGE))
    context = {
        "nav": "patients",
        "rows": rows,
        "total": total,
        "page": page,
        "pages": pages,
        "search": search,
        "status": status,
        "site": site,
        "statuses": STATUSES,
        "sites": sites if viewer.actor.readable_sites is None or len(viewer.actor.site_roles) > 1 else [],
        "today": date.today(),
    }
    return render(request, "patients.html", context)


@router.get("/patients/{patient_id}")
def show_patient(request: Request, viewer: ViewerDep, patient_id: PatientId) -> Response:
    """The patient page: timeline, current risk with its trace, calendar, missing-data codes, exposure,
    therapy options, trials."""
    with request.app.state.store.session(viewer.actor) as session:
        view = patient_view(session, patient_id, today=date.today())
        context = {
            "nav": "patients",
            "view": view,
            "missing": missing_view(session, view.patient, view.rows, today=date.today()),
            "patient": view.patient,
            "may_write": viewer.may_write(view.patient.site_id),
            "sees_identifiers": viewer.sees_identifiers(view.patient.site_id),
            "saved": request.query_params.get("saved", ""),
            "today": date.today(),
            "queries": [
                {"id": q.id, "item": item_text(q), "state": q.state.value, "url": item_url(q)}
                for q in list_queries(session, patient_id=patient_id)
            ],
            "may_review": may_review_queries(viewer.actor),
            "signatures": list_signatures(session, patient_id=patient_id),
            "required_signatures": list(required_signatures(session, patient=view.patient)),
            "may_sign": may_sign(session, patient=view.patient),
            "lock": lock_on(session, patient=view.patient),
            "consent_actions": patient_consent_actions(session, patient_id=patient_id, as_of=date.today()),
            "sdv": sdv_view(session, view.patient, view.rows),
            "may_verify": may_verify(viewer.actor),
        }
        return render(request, "patient.html", context)


@router.get("/patients/{patient_id}/identifiers")
def show_identifiers(request: Request, viewer: ViewerDep, patient_id: PatientId) -> Response:
    """Direct identifiers, for roles of the patient's own site; the read is written to the audit trail."""
    with request.app.state.store.session(viewer.actor) as session:
        patient = get_patient(session, patient_id=patient_id)
        identifiers = read_identifiers(session, patient_id=patient_id)
        context = {"nav": "patients", "patient": patient, "identifiers": identifiers}
        return render(request, "identifiers.html", context)
