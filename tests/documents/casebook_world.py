"""A casebook worth printing: an enrolled child with an SAE signed and then changed (so its signature
is invalidated), a query with its thread, a missing-data code, and a Korean signer's name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from io import BytesIO

from pypdf import PdfReader
from tests.store.helpers import NCT, PASSWORD, World, attestations_of, example

from remission.store import (
    AdverseEvent,
    SignatureMeaning,
    SignedUnit,
    UnitRef,
    answer_query,
    events,
    open_query,
    set_missing_code,
    sign_units,
)
from remission.store.enrollment import enroll_patient
from remission.store.models import User
from remission.store.vocabulary import Role

STUDY_ID = "INF-02"
SIGNER_NAME = "김민준 Kim Min-jun"
QUESTION = "Grade 3 or 4? The chart says ×2 transfusions."
ANSWER = "Grade 3 — confirmed against the chart."
CODE_NOTE = "no day-8 smear; WBC 10⁹/L µ-scale not sent"
EDIT_REASON = "resolution date from the discharge letter"
SAE = {
    "term": "Febrile neutropenia",
    "grade": 3,
    "onset_date": date(2025, 4, 10),
    "serious": True,
    "attribution": "possible",
}


@dataclass(frozen=True)
class Scenario:
    patient_id: int
    sae_id: int
    signed_at: str
    protocol_version: str


def build(world: World) -> Scenario:
    """Register, enroll, code, query, sign and then change the SAE (the signature is invalidated)."""
    record = example(STUDY_ID)
    record.pop("prednisone_response")
    patient_id = world.register(STUDY_ID, "SNU", record=record)
    investigator = world.actor(Role.INVESTIGATOR, "SNU")
    coordinator = world.actor(Role.COORDINATOR, "SNU")
    data_manager = world.actor(Role.DATA_MANAGER)
    with world.session(investigator) as session:
        enrollment = enroll_patient(
            session,
            patient_id=patient_id,
            protocol_id=NCT,
            enrolled_on=date.fromisoformat(record["study_entry_date"]),
            attestations=attestations_of(record),
        )
        version = enrollment.protocol_version
    with world.session(world.system, reason="printed name as on the delegation log") as session:
        user = session.get(User, investigator.user_id)
        assert user is not None
        user.full_name = SIGNER_NAME
    with world.session(coordinator) as session:
        sae = events.create_row(session, model=AdverseEvent, patient_id=patient_id, values=dict(SAE))
        sae_id = sae.id
        set_missing_code(
            session,
            patient_id=patient_id,
            form="baseline",
            field="prednisone_response",
            code="not done",
            note=CODE_NOTE,
        )
    with world.session(data_manager) as session:
        query = open_query(
            session, patient_id=patient_id, form="adverse-events", row_id=sae_id, field="grade", text=QUESTION
        )
        query_id, query_version = query.id, query.version
    with world.session(coordinator) as session:
        answer_query(session, query_id=query_id, version=query_version, text=ANSWER)
    with world.session(investigator) as session:
        (signature,) = sign_units(
            session,
            units=[UnitRef(patient_id, SignedUnit.SERIOUS_ADVERSE_EVENT, sae_id)],
            meaning=SignatureMeaning.REVIEW,
            username=investigator.username,
            password=PASSWORD,
        )
        signed_at = signature.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    with world.session(coordinator, reason=EDIT_REASON) as session:
        row = events.get_row(session, model=AdverseEvent, patient_id=patient_id, row_id=sae_id)
        events.update_row(
            session,
            model=AdverseEvent,
            patient_id=patient_id,
            row_id=sae_id,
            version=row.version,
            values={"resolution_date": date(2025, 4, 20)},
        )
    return Scenario(patient_id, sae_id, signed_at, version)


def pdf_text(content: bytes) -> str:
    """The text of every page of a PDF, whitespace collapsed to single spaces."""
    reader = PdfReader(BytesIO(content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))


def page_texts(content: bytes) -> list[str]:
    """The text of each page, whitespace collapsed."""
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(BytesIO(content)).pages]
