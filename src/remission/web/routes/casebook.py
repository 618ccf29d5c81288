"""The casebook PDF of a patient, linked from the patient page.

A GET like the identifiers page: the read is audited (an ``export`` entry) but changes no record.
The store reads it as the viewer may (another site's patient is the 404 page) and the API's route
names the file the same way.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from remission.api.routes.casebooks import PDF, attachment_name
from remission.documents import casebook_pdf_bytes
from remission.store import MAX_ID
from remission.web.pages import finish
from remission.web.viewer import ViewerDep

router = APIRouter(include_in_schema=False)
PatientId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/patients/{patient_id}/casebook.pdf")
def casebook_pdf(request: Request, viewer: ViewerDep, patient_id: PatientId) -> Response:
    """The patient's casebook as a PDF download, generated for the viewer."""
    read, content = casebook_pdf_bytes(request.app.state.store, actor=viewer.actor, patient_id=patient_id)
    headers = {"Content-Disposition": f'attachment; filename="{attachment_name(read.study_id)}"'}
    return finish(request, Response(content, media_type=PDF, headers=headers))
