"""The site worklist page: the assessments overdue and due at a site on a date, from the schedules, and
the signatures invalidated by a later change that wait for re-signing.

The lines come from the store (:func:`remission.store.site_worklist`), which reads only the sites
the viewer may read; a site the viewer cannot read lists nothing. Each line links to the patient,
whose calendar records the assessment or marks it *not done* with a missing-data code.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from remission.store import NotFound, get_patient, list_sites, signatures_to_renew, site_worklist
from remission.web.pages import render
from remission.web.viewer import ViewerDep

router = APIRouter(include_in_schema=False)
#: The longest worklist a page shows; the CLI and the API list every line.
PAGE_LINES = 500


@router.get("/worklist")
def worklist(
    request: Request,
    viewer: ViewerDep,
    site: Annotated[str | None, Query(max_length=64)] = None,
    as_of: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """What is overdue, then due, at one site (the viewer's first readable site by default)."""
    problem = None
    try:
        on = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        on, problem = date.today(), f"as of: {as_of!r} is not a date YYYY-MM-DD; showing today"
    with request.app.state.store.session(viewer.actor) as session:
        readable = viewer.actor.readable_sites
        sites = [s.code for s in list_sites(session) if readable is None or s.id in readable]
        chosen = site if site in sites else (sites[0] if sites else None)
        if site is not None and site not in sites:
            problem = f"site: {site!r} is not a site you may read"
        try:
            lines = site_worklist(session, site_code=chosen, as_of=on, limit=PAGE_LINES + 1) if chosen else []
            renew = signatures_to_renew(session, site_code=chosen) if chosen else []
        except NotFound:
            lines, renew = [], []
        resign = [
            {"signature": s, "study_id": get_patient(session, patient_id=s.patient_id).study_id}
            for s in renew[:PAGE_LINES]
        ]
    context = {
        "nav": "worklist",
        "sites": sites,
        "site": chosen,
        "as_of": on.isoformat(),
        "lines": lines[:PAGE_LINES],
        "more": len(lines) > PAGE_LINES,
        "overdue": sum(line.item.state.value == "overdue" for line in lines[:PAGE_LINES]),
        "problem": problem,
        "resign": resign,
    }
    return render(request, "worklist.html", context)
