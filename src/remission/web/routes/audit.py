"""The audit trail of one record (or the latest entries), for administrators, data managers and monitors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from remission.api.schemas.family import MAX_ID
from remission.store.actor import AccessDenied
from remission.store.audit_reading import read_entries
from remission.store.base import PatientOwned, SiteScoped
from remission.store.errors import NotFound
from remission.store.models import AUDITED, AuditEntry, Patient
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
    if not viewer.may_read_audit:
        raise AccessDenied(f"{viewer.username} may not read the audit trail")
    with request.app.state.store.session(viewer.actor) as session:
        patient = None
        if entity:
            model = AUDITED.get(entity)
            if model is None or entity_id is None:
                raise NotFound("audit record", entity)
            if issubclass(model, SiteScoped):
                row = session.get(model, entity_id)
                # A deleted row has no row left but keeps its history.
                if row is not None and isinstance(row, PatientOwned):
                    patient = session.get(Patient, row.patient_id)
                elif isinstance(row, Patient):
                    patient = row
            entries = read_entries(session, entity=entity, entity_id=entity_id, after_seq=0, limit=1000)
        else:
            last = session.scalar(select(func.max(AuditEntry.seq))) or 0
            entries = read_entries(
                session, entity=None, entity_id=None, after_seq=max(0, last - LATEST), limit=LATEST
            )
            entries.reverse()
    context = {
        "nav": "audit",
        "entries": entries,
        "entity": entity,
        "entity_id": entity_id,
        "patient": patient,
    }
    return render(request, "audit.html", context)
