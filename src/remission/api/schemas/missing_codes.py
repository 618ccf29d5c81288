"""Schemas of missing-data codes: the item, the code and its note; the stored code with who and when."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from remission.store import MAX_ID, MissingCode, Strict

Name = Annotated[str, Field(min_length=1, max_length=64)]


class MissingCodeCreate(Strict):
    form: Annotated[str, Field(min_length=1, max_length=40)] = Field(
        description="baseline, calendar, or a course-row kind (mrd, adverse-events, relapses, …)."
    )
    row_id: Annotated[int, Field(ge=1, le=MAX_ID, strict=True)] | None = Field(
        default=None, description="The course row, for a course-row kind."
    )
    field: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None,
        description="A dotted record path for baseline (genetics.kmt2a.status), a column for a course row.",
    )
    protocol_id: Name | None = Field(default=None, description="For calendar: the protocol.")
    assessment: Name | None = Field(default=None, description="For calendar: the assessment id.")
    occurrence: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description='For calendar: the phase id, "visit N", or empty for a single assessment.'
    )
    code: MissingCode
    note: Annotated[str, Field(min_length=1, max_length=2000)] | None = None


class MissingCodePublic(Strict):
    id: int
    version: int
    patient_id: int
    item: str
    form: str
    row_id: int | None
    field: str | None
    protocol_id: str | None
    assessment: str | None
    occurrence: str | None
    code: MissingCode
    note: str | None
    recorded_by: str
    recorded_at: datetime
