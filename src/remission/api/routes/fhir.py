"""A patient's FHIR R4B Bundle (type collection): the export's resources for one patient.

Read through :func:`remission.store.read_casebook`: site-scoped (another site's patient is a 404),
the full birth date only for roles of the patient's site, and audited as an export.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from remission.api.deps import ActorDep, PatientId, StoreDep
from remission.interop.fhir_export import FORMAT, MEDIA_TYPE, bundle_text
from remission.store import Casebook, Delivery, read_casebook

router = APIRouter(tags=["fhir"])


@router.get(
    "/patients/{patient_id}/fhir",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPE: {"schema": {"type": "object"}}}}},
)
def patient_fhir(patient_id: PatientId, actor: ActorDep, store: StoreDep) -> Response:
    """The patient's FHIR R4B Bundle; reading it writes an ``export`` entry to the audit trail."""
    texts: list[str] = []

    def deliver(casebook: Casebook) -> Delivery:
        texts.append(bundle_text(casebook))
        return Delivery(FORMAT)

    read_casebook(store, actor=actor, deliver=deliver, patient_id=patient_id)
    return Response(texts[0], media_type=MEDIA_TYPE)
