"""Request and response schemas of data queries (discrepancy notes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from remission.store import MAX_ID, MAX_QUERY_TEXT, QueryAction, QueryState, Strict

QueryText = Annotated[str, Field(min_length=1, max_length=MAX_QUERY_TEXT, pattern=r"\S")]


class QueryCreate(Strict):
    """A new query on an item: a form (a course-row kind's segment or ``baseline``), optionally
    one row of it and one field (a column, or a dotted path in the baseline)."""

    form: Annotated[str, Field(min_length=1, max_length=40, examples=["mrd", "baseline"])]
    row_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    field: Annotated[str, Field(min_length=1, max_length=200, examples=["sample_date"])] | None = None
    text: QueryText


class QueryStep(Strict):
    """An answer, a closing or a re-opening of a query read at ``version``."""

    version: Annotated[int, Field(ge=1, le=MAX_ID)]
    text: QueryText


class QueryMessagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    at: datetime
    username: str
    action: QueryAction
    text: str
    automatic: bool


class QueryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    version: int
    patient_id: int
    study_id: str
    form: str
    row_id: int | None
    field: str | None
    state: QueryState
    opened_by: str
    created_at: datetime
    check_id: str | None
    check_satisfied_at: datetime | None
    messages: list[QueryMessagePublic]
