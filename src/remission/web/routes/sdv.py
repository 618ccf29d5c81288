"""SDV pages: a monitor marks an item verified on the patient page; a site's SDV worklist.

The store decides who may mark (a monitor; others get the 403 page), whether the item exists (the
error page names the field) and which patients the viewer sees; a mark resets by itself when its
value changes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from remission.store import MAX_ID, NotFound, list_sites, sdv_worklist, verify_item
from remission.web.pages import redirect, render
from remission.web.sdv_view import parse_sdv_item, sdv_item_label
from remission.web.viewer import FormDep, ViewerDep

router = APIRouter(include_in_schema=False)
PatientId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/patients/{patient_id}/sdv")
def mark_verified(request: Request, viewer: ViewerDep, form: FormDep, patient_id: PatientId) -> Response:
    """Mark the chosen item (``item``: ``FORM|ROW|FIELD``) verified against the source."""
    item = parse_sdv_item(str(form.get("item", "")))
    with request.app.state.store.session(viewer.actor) as session:
        verify_item(session, patient_id=patient_id, **item)
    return redirect(request, f"/patients/{patient_id}?saved=sdv#sdv")


@router.get("/sdv")
def site_sdv(
    request: Request, viewer: ViewerDep, site: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    """A site's SDV worklist (the viewer's first readable site by default): per patient what the plans
    require and what is still unverified or reset."""
    problem = None
    with request.app.state.store.session(viewer.actor) as session:
        readable = viewer.actor.readable_sites
        sites = [s.code for s in list_sites(session) if readable is None or s.id in readable]
        chosen = site if site in sites else (sites[0] if sites else None)
        if site is not None and site not in sites:
            problem = f"site: {site!r} is not a site you may read"
        try:
            worklist = sdv_worklist(session, site_code=chosen) if chosen else None
        except NotFound:
            worklist = None
        context = {
            "nav": "sdv",
            "sites": sites,
            "site": chosen,
            "problem": problem,
            "worklist": worklist,
            "label": sdv_item_label,
        }
        return render(request, "sdv.html", context)
