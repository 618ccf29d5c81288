"""Request and response schemas of electronic signatures and of freezes and locks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from remission.store import (
    MAX_ID,
    LockLevel,
    LockState,
    SignatureMeaning,
    SignatureState,
    SignedUnit,
    Strict,
)

Reason = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S")]


class UnitToSign(Strict):
    """One unit: a row of the patient's records (eligibility = the enrollment row), or the casebook."""

    patient_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    unit: SignedUnit
    row_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None


class SignRequest(Strict):
    """What to sign, with which meaning, and the signer's components (21 CFR Part 11 §11.200):
    the user name and password at the first signing of a session, at least the password after."""

    units: Annotated[list[UnitToSign], Field(min_length=1, max_length=500)]
    meaning: SignatureMeaning
    username: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class SignaturePublic(BaseModel):
    """A signature as every human-readable form shows it: name, time (UTC) and meaning (§11.50)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    patient_id: int
    unit: SignedUnit
    row_id: int | None
    meaning: SignatureMeaning
    signer_username: str
    signer_name: str
    signed_at: datetime
    attestation: str
    content_digest: str
    valid: bool
    invalidated_at: datetime | None
    invalidated_because: str | None


class RequiredSignaturePublic(BaseModel):
    """One signature a casebook needs before it is locked, and its state."""

    model_config = ConfigDict(from_attributes=True)
    patient_id: int
    study_id: str
    protocol_id: str
    unit: SignedUnit
    row_id: int | None
    meaning: SignatureMeaning
    state: SignatureState
    signature: SignaturePublic | None


class LockCreate(Strict):
    """Freeze or lock the study, a site (``site``), a casebook (``patient_id``) or one form of it
    (``form`` with its ``row_id``; ``baseline`` takes none)."""

    level: LockLevel
    state: LockState
    site: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    patient_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    form: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    row_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    reason: Reason | None = None
    override_reason: Reason | None = None


class LockRelease(Strict):
    """Release a freeze or lock read at ``version``, saying why."""

    version: Annotated[int, Field(ge=1, le=MAX_ID)]
    reason: Reason


class LockPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    version: int
    level: LockLevel
    state: LockState
    site_id: int | None
    patient_id: int | None
    form: str | None
    row_id: int | None
    reason: str | None
    override_reason: str | None
    set_by: str
    set_at: datetime
    released_at: datetime | None
    released_by: str | None
    release_reason: str | None
