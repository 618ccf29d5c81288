"""Schemas of source data verification: the item to mark verified, and the stored mark."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from remission.store import MAX_ID, SDVState, Strict


class SDVMarkCreate(Strict):
    form: Annotated[str, Field(min_length=1, max_length=40)] = Field(
        description="baseline, patient (date_of_birth, sex), or a course-row kind (mrd, adverse-events, …)."
    )
    row_id: Annotated[int, Field(ge=1, le=MAX_ID, strict=True)] | None = Field(
        default=None, description="The course row, for a course-row kind."
    )
    field: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None,
        description="A dotted baseline path, a patient column or a row's column; none marks the whole row.",
    )


class SDVMarkPublic(Strict):
    id: int
    version: int
    patient_id: int
    item: str
    form: str
    row_id: int | None
    field: str | None
    state: SDVState
    verified_by: str
    verified_at: datetime
    reset_at: datetime | None
    reset_note: str | None
