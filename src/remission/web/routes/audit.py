"""The audit trail of one record (or the latest entries), for administrators, data managers and monitors.

Who may read the trail, and which identifier values they see, is decided by the store
(:func:`remission.store.read_audit`); this page only lays the entries out.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from remission.store import MAX_ID, NotFound, audit_subject, read_audit, read_latest_audit
from remission.web.pages import render
from remission.web.viewer import ViewerDep

router = APIRouter(include_in_schema=False)
LATEST = 200


@router.get("/audit")
def audit_view(
    request: Request,
    viewer: ViewerDep,
    entity: Annotated[str, Query(max_length=64)] = "",
    entity_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """Entries of one record in chain order (old and new value, who, when, reason), or the latest ones."""
    with request.app.state.store.session(viewer.actor) as session:
        patient = None
        if entity:
            if entity_id is None:
                raise NotFound("audit record", entity)
            patient = audit_subject(session, entity=entity, entity_id=entity_id)
            entries = read_audit(session, entity=entity, entity_id=entity_id, limit=1000)
        else:
            entries = read_latest_audit(session, limit=LATEST)
    context = {
        "nav": "audit",
        "entries": entries,
        "entity": entity,
        "entity_id": entity_id,
        "patient": patient,
    }
    return render(request, "audit.html", context)
