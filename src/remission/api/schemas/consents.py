"""Schemas of consent form versions, re-consent lists and consent actions."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from remission.record.vocabulary import ConsentKind
from remission.store import Strict

Label = Annotated[str, Field(min_length=1, max_length=64)]
Committee = Annotated[str, Field(min_length=1, max_length=200)]
Note = Annotated[str, Field(min_length=1, max_length=2000)]
ProtocolId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


class ConsentVersionCreate(Strict):
    protocol_id: ProtocolId = Field(description="The study, e.g. NCT06516679.")
    kind: ConsentKind
    label: Label = Field(description="The version as printed on the form, e.g. v2.0.")
    approved_on: date | None = Field(
        default=None, description="The ethics committee's approval; none while pending."
    )
    approved_by: Committee | None = Field(default=None, description="The ethics committee that approved it.")
    retired_on: date | None = Field(default=None, description="No longer valid for consents from this date.")
    note: Note | None = None


class ConsentVersionUpdate(Strict):
    version: Annotated[int, Field(ge=1, le=2**31 - 1, strict=True)]
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    approved_on: date | None = None
    approved_by: Committee | None = None
    retired_on: date | None = None
    note: Note | None = None


class ConsentVersionPublic(Strict):
    id: int
    version: int
    protocol_id: str
    kind: ConsentKind
    label: str
    approved_on: date | None
    approved_by: str | None
    retired_on: date | None
    note: str | None


class ReconsentLinePublic(Strict):
    patient_id: int
    study_id: str
    latest_version: str
    latest_date: date


class ConsentActionPublic(Strict):
    patient_id: int
    study_id: str
    protocol_id: str
    kind: ConsentKind
    state: str
    reason: str
    due_from: date | None
    current_version: str | None
    latest_version: str | None
