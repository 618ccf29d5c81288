"""Which signatures a patient's casebook needs, and whether each is valid, invalidated or missing.

The protocols a patient is enrolled in name the required signatures (``signatures.required``):
every unit of a kind — each enrollment under that protocol (eligibility), the current risk
assignment, each serious adverse event, each end-of-phase report, the casebook itself — with a
meaning. Locking a casebook needs each of them valid (:mod:`remission.store.locks`); the signing
list and the worklist show the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from remission.protocols.loader import load_protocol
from remission.protocols.signature_plan import SignatureMeaning, SignedUnit
from remission.store.current_risk import current_assignments
from remission.store.models import AdverseEvent, Enrollment, Patient, PhaseReport
from remission.store.session import StudySession
from remission.store.signature_models import Signature, unit_label


class SignatureState(StrEnum):
    VALID = "valid"
    INVALIDATED = "invalidated — re-signature needed"
    UNSIGNED = "unsigned"


@dataclass(frozen=True)
class RequiredSignatureStatus:
    """One signature the casebook needs and where it stands."""

    patient_id: int
    study_id: str
    protocol_id: str
    unit: SignedUnit
    row_id: int | None
    meaning: SignatureMeaning
    state: SignatureState
    #: The latest signature of this unit with this meaning, if any.
    signature: Signature | None

    @property
    def label(self) -> str:
        """The unit in words, e.g. ``serious-adverse-event 12`` or ``casebook``."""
        return unit_label(self.unit, self.row_id)


def _unit_rows(
    session: StudySession, patient: Patient, protocol_id: str, unit: SignedUnit
) -> list[int | None]:
    if unit is SignedUnit.CASEBOOK:
        return [None]
    if unit is SignedUnit.ELIGIBILITY:
        statement = select(Enrollment.id).where(
            Enrollment.patient_id == patient.id, Enrollment.protocol_id == protocol_id
        )
    elif unit is SignedUnit.SERIOUS_ADVERSE_EVENT:
        statement = select(AdverseEvent.id).where(AdverseEvent.patient_id == patient.id, AdverseEvent.serious)
    elif unit is SignedUnit.PHASE_REPORT:
        statement = select(PhaseReport.id).where(PhaseReport.patient_id == patient.id)
    else:
        current = current_assignments(session, patient_ids=[patient.id]).get(patient.id, [])
        return [
            risk.assignment_id for risk in current if risk.protocol_id == protocol_id and risk.assignment_id
        ]
    return list(session.scalars(statement.order_by(*statement.selected_columns)))


def _latest(
    signatures: list[Signature], unit: SignedUnit, row_id: int | None, meaning: SignatureMeaning
) -> Signature | None:
    matching = [s for s in signatures if s.unit is unit and s.row_id == row_id and s.meaning is meaning]
    valid = [s for s in matching if s.valid]
    latest = valid or matching
    return latest[-1] if latest else None


def required_signatures(session: StudySession, *, patient: Patient) -> Iterator[RequiredSignatureStatus]:
    """Every signature the patient's protocols require, with its state (protocol order, then plan order)."""
    enrolled = session.scalars(
        select(Enrollment.protocol_id).where(Enrollment.patient_id == patient.id).order_by(Enrollment.id)
    ).all()
    signatures = list(
        session.scalars(select(Signature).where(Signature.patient_id == patient.id).order_by(Signature.id))
    )
    for protocol_id in enrolled:
        plan = load_protocol(protocol_id).signatures
        for required in plan.required if plan is not None else []:
            for row_id in _unit_rows(session, patient, protocol_id, required.unit):
                latest = _latest(signatures, required.unit, row_id, required.meaning)
                state = (
                    SignatureState.UNSIGNED
                    if latest is None
                    else SignatureState.VALID
                    if latest.valid
                    else SignatureState.INVALIDATED
                )
                yield RequiredSignatureStatus(
                    patient.id,
                    patient.study_id,
                    protocol_id,
                    required.unit,
                    row_id,
                    required.meaning,
                    state,
                    latest,
                )
