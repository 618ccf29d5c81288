"""A patient's casebook as a PDF: every form with its values, codes, queries, signatures (name, UTC
time, meaning, valid or invalidated), SDV status and, for readers of the audit trail, the trail.

Read through :func:`remission.store.read_casebook`: site-scoped (another site's patient is a 404),
the date of birth only for roles of the patient's site, and audited as an export.
"""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import Response

from remission.api.deps import ActorDep, PatientId, StoreDep
from remission.documents import casebook_pdf_bytes

router = APIRouter(tags=["casebooks"])
PDF = "application/pdf"


def attachment_name(study_id: str) -> str:
    """The file name a casebook is saved under: ``casebook-<study id>.pdf``, safe in a header."""
    return f"casebook-{re.sub(r'[^A-Za-z0-9._-]', '_', study_id)}.pdf"


@router.get(
    "/patients/{patient_id}/casebook.pdf",
    response_class=Response,
    responses={200: {"content": {PDF: {"schema": {"type": "string", "format": "binary"}}}}},
)
def casebook(patient_id: PatientId, actor: ActorDep, store: StoreDep) -> Response:
    """The patient's casebook as a PDF (21 CFR Part 11 §11.50: each signature's printed name, UTC time
    and meaning). Generating it writes an ``export`` entry to the audit trail."""
    read, content = casebook_pdf_bytes(store, actor=actor, patient_id=patient_id)
    disposition = f'attachment; filename="{attachment_name(read.study_id)}"'
    return Response(content, media_type=PDF, headers={"Content-Disposition": disposition})
