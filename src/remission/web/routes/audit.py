"""The audit trail: one record's history, or every entry filtered and paged, for administrators,
data managers and monitors.

Who may read the trail, which identifier values they see and which entries belong to a patient
are decided by the store (:func:`remission.store.read_audit_page`); this page only reads the
filter form and lays the entries out.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from remission.store import (
    AUDIT_PER_PAGE,
    MAX_ID,
    AuditAction,
    NotFound,
    audit_subject,
    read_audit,
    read_audit_page,
)
from remission.web.pages import render
from remission.web.viewer import ViewerDep

router = APIRouter(include_in_schema=False)
ACTIONS = tuple(action.value for action in AuditAction)


def _day(text: str, label: str, errors: dict[str, str]) -> date | None:
    """The date typed as ``text`` (YYYY-MM-DD), ``None`` when empty; a bad one goes to ``errors``."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors[label] = "Give a date as YYYY-MM-DD."
        return None


@router.get("/audit")
def audit_view(
    request: Request,
    viewer: ViewerDep,
    entity: Annotated[str, Query(max_length=64)] = "",
    entity_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    study_id: Annotated[str, Query(max_length=64)] = "",
    username: Annotated[str, Query(max_length=64)] = "",
    action: Annotated[str, Query(max_length=40)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """One record's entries in chain order (with ``entity_id``), or the filtered trail, newest
    first, :data:`AUDIT_PER_PAGE` entries a page."""
    filters = {
        "study_id": study_id.strip(),
        "username": username.strip(),
        "entity": entity.strip(),
        "action": action if action in ACTIONS else "",
        "since": since.strip(),
        "until": until.strip(),
    }
    errors: dict[str, str] = {}
    first, last = _day(filters["since"], "since", errors), _day(filters["until"], "until", errors)
    context: dict[str, Any] = {
        "nav": "audit",
        "entity": entity,
        "entity_id": entity_id,
        "patient": None,
        "filters": filters,
        "actions": ACTIONS,
        "errors": errors,
        "page": page,
        "has_next": False,
        "per_page": AUDIT_PER_PAGE,
    }
    status = 422 if errors else 200
    with request.app.state.store.session(viewer.actor) as session:
        if entity_id is not None:
            if not entity:
                raise NotFound("audit record", str(entity_id))
            context["patient"] = audit_subject(session, entity=entity, entity_id=entity_id)
            context["entries"] = read_audit(session, entity=entity, entity_id=entity_id, limit=1000)
            return render(request, "audit.html", context)
        context["entries"] = []
        if not errors:
            try:
                found = read_audit_page(
                    session,
                    study_id=filters["study_id"] or None,
                    username=filters["username"] or None,
                    entity=filters["entity"] or None,
                    action=filters["action"] or None,
                    since=first,
                    until=last,
                    page=page,
                )
            except NotFound:
                errors["study_id"] = f"No patient {filters['study_id']} that you may read."
                status = 404
            else:
                context.update(entries=found.entries, has_next=found.has_next, patient=found.patient)
    query = urlencode({name: value for name, value in filters.items() if value})
    context["query"] = f"&{query}" if query else ""
    return render(request, "audit.html", context, status=status)
