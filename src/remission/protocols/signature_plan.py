"""What a protocol says about electronic signatures: who signs, and what must be signed.

A study signs *units*: an eligibility decision (the enrollment), a risk assignment, a serious
adverse event, an end-of-phase report, or a patient's whole casebook (:class:`SignedUnit`). Each
signature carries one of the meanings 21 CFR Part 11 §11.50 asks to be shown
(:class:`SignatureMeaning`). The protocol names the roles that may sign (``signers``) and the
signatures a casebook needs before it is locked (``required``); the store holds the signatures
(``remission.store``, see ``docs/conduct.md``, "Electronic signatures").
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from remission.protocols.base import Identifier, ProtocolModel


class SignedUnit(StrEnum):
    """What one signature covers."""

    ELIGIBILITY = "eligibility"  # the enrollment with the screening decision it rests on
    RISK_ASSIGNMENT = "risk-assignment"
    SERIOUS_ADVERSE_EVENT = "serious-adverse-event"
    PHASE_REPORT = "phase-report"
    CASEBOOK = "casebook"  # every record of one patient


class SignatureMeaning(StrEnum):
    """The meaning of a signature (21 CFR Part 11 §11.50(a)(3))."""

    REVIEW = "review"
    APPROVAL = "approval"
    RESPONSIBILITY = "responsibility"
    AUTHORSHIP = "authorship"


#: Roles a protocol may name as signers (the store's site and study roles that may sign).
SIGNER_ROLES = ("investigator", "coordinator", "data_manager", "monitor")


class RequiredSignature(ProtocolModel):
    """Every unit of this kind in a casebook needs a valid signature with this meaning."""

    unit: SignedUnit
    meaning: SignatureMeaning


class SignaturePlan(ProtocolModel):
    """Who signs and which signatures a casebook needs before it is locked."""

    signers: list[str] = Field(min_length=1, description=f"Roles that may sign: {', '.join(SIGNER_ROLES)}.")
    required: list[RequiredSignature] = Field(default_factory=list)
    source: Identifier | None = Field(default=None, description="Id of a provenance source.")
    assumption: bool = Field(default=False, description="True when no source settles the plan.")
    note: str | None = None

    @model_validator(mode="after")
    def _known_roles_and_sourced(self) -> SignaturePlan:
        unknown = sorted(set(self.signers) - set(SIGNER_ROLES))
        if unknown:
            raise ValueError(f"unknown signer roles {unknown}; a signer is one of {', '.join(SIGNER_ROLES)}")
        if self.source is None and not self.assumption:
            raise ValueError("a signature plan needs a source or assumption: true")
        return self
