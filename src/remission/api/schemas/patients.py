"""Schemas of patients, identifiers, enrollment and risk assignments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from remission.api.schemas.family import ChangeMeta
from remission.record.model import Attestation
from remission.record.vocabulary import Sex
from remission.store import Strict


class IdentifiersIn(Strict):
    full_name: Annotated[str, Field(min_length=1, max_length=200)]
    medical_record_number: Annotated[str, Field(max_length=64)] | None = None
    contact: Annotated[str, Field(max_length=2000)] | None = None


class PatientCreate(Strict):
    study_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    site: str | None = Field(default=None, description="Site code; defaults to your own site.")
    sex: Sex | None = None
    date_of_birth: date | None = None
    baseline: dict[str, Any] = Field(
        default_factory=dict, description="Diagnosis, genetics, ... (record model)."
    )
    identifiers: IdentifiersIn | None = None


class PatientUpdate(ChangeMeta):
    sex: Sex | None = None
    date_of_birth: date | None = None
    # Not nullable: the sections given are merged into the stored baseline, so null has no
    # meaning (a section set to null clears that section).
    baseline: dict[str, Any] = Field(
        default_factory=dict, description="Baseline sections to change, merged into the stored ones."
    )


class PatientPublic(Strict):
    model_config = ConfigDict(from_attributes=True)
    id: int
    study_id: str
    site_id: int
    sex: Sex | None
    date_of_birth: date | None = Field(
        description="Only for roles of the patient's own site; null for everyone else (see birth_month)."
    )
    birth_month: str | None = Field(description="Year and month of birth, YYYY-MM.")
    age_at_diagnosis_days: int | None = Field(description="Age on the date of diagnosis, in days.")
    baseline: dict[str, Any]
    version: int
    created_at: datetime


class IdentifiersPublic(IdentifiersIn):
    model_config = ConfigDict(from_attributes=True, extra="ignore")
    patient_id: int


class EnrollmentCreate(Strict):
    protocol_id: str
    enrolled_on: date
    attestations: list[Attestation] = Field(default_factory=list)


class EnrollmentPublic(Strict):
    model_config = ConfigDict(from_attributes=True)
    id: int
    patient_id: int
    protocol_id: str
    protocol_version: str
    enrolled_on: date
    verdict: str
    enrolled_by: str
    screening: dict[str, Any]
    version: int


class RiskAssignmentPublic(Strict):
    model_config = ConfigDict(from_attributes=True)
    id: int
    patient_id: int
    protocol_id: str
    protocol_version: str
    risk_group: str
    arm: str | None
    provisional_track: str | None
    assigned_at: datetime
    result: dict[str, Any]
