"""The stored screening of each enrollment and the attestations it was made with.

Each enrollment keeps the screening it was made on (:attr:`remission.store.Enrollment.screening`,
with the protocol id and version); this page lays it out: the date, the verdict, every
criterion's result and reason, and who attested which criterion, in which role and when. The
stored result passes through :func:`remission.store.disclosed`, so a date of birth read by a
criterion is shown only to roles of the patient's site, as everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from remission.store import MAX_ID, Enrollment, disclosed, get_patient, list_enrollments
from remission.web.pages import render
from remission.web.viewer import ViewerDep

router = APIRouter(include_in_schema=False)
PatientId = Annotated[int, Path(ge=1, le=MAX_ID)]


@dataclass(frozen=True)
class StoredScreening:
    """One enrollment's stored screening as the page shows it."""

    enrollment: Enrollment
    protocol_id: str
    protocol_version: str
    screened_on: str
    verdict: str
    criteria: list[dict[str, Any]]
    attestations: list[dict[str, Any]]


def stored_screening(enrollment: Enrollment, screening: dict[str, Any]) -> StoredScreening:
    """The page's view of a stored screening (``screening`` as the viewer may see it)."""
    protocol = screening.get("protocol") or {}
    criteria = [c for c in screening.get("criteria") or [] if isinstance(c, dict)]
    attestations = [
        {**attestation, "criterion_id": attestation.get("criterion_id", c.get("id"))}
        for c in criteria
        if isinstance(attestation := (c.get("inputs") or {}).get("attestation"), dict)
    ]
    return StoredScreening(
        enrollment=enrollment,
        protocol_id=str(protocol.get("id", enrollment.protocol_id)),
        protocol_version=str(protocol.get("version", enrollment.protocol_version)),
        screened_on=str(screening.get("screened_on", enrollment.enrolled_on)),
        verdict=str(screening.get("verdict", enrollment.verdict)),
        criteria=criteria,
        attestations=attestations,
    )


@router.get("/patients/{patient_id}/screening")
def show_screening(request: Request, viewer: ViewerDep, patient_id: PatientId) -> Response:
    """Every enrollment's stored screening decision and attestations (any role that reads the patient)."""
    with request.app.state.store.session(viewer.actor) as session:
        patient = get_patient(session, patient_id=patient_id)
        screenings = [
            stored_screening(enrollment, disclosed(session, patient, enrollment.screening or {}))
            for enrollment in list_enrollments(session, patient_id=patient_id)
        ]
        context = {"nav": "patients", "patient": patient, "screenings": screenings}
        return render(request, "screening.html", context)
