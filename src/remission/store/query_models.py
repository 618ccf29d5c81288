"""The tables of data queries (discrepancy notes): a query on an item and its thread of messages.

A :class:`DataQuery` is about one item of a patient's record — a course row form (``mrd``,
``adverse-events``, …), optionally one row and one field of it, or the baseline record and a
dotted path in it — and keeps its current state and a version. Every step (open, answer,
close, re-open, the data satisfying the check that raised it) is a :class:`QueryMessage`:
rows that are only ever added, never changed or deleted (:mod:`remission.store.scoping`
refuses both). Both are patient-owned, so site isolation and the audit trail cover them as
they cover every clinical row. See ``docs/conduct.md``, "Data queries".
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from remission.store.base import Base, PatientOwned, UTCDateTime, Versioned, utc_now
from remission.store.models import AUDITED, Patient


class QueryState(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"
    REOPENED = "re-opened"


class QueryAction(StrEnum):
    """What one message of a thread did."""

    OPEN = "open"
    ANSWER = "answer"
    CLOSE = "close"
    REOPEN = "re-open"
    CHECK_SATISFIED = "check satisfied"


def _enum(kind: type) -> Enum:
    return Enum(kind, native_enum=False, values_callable=lambda e: [m.value for m in e], length=40)


class QueryMessage(PatientOwned, Versioned, Base):
    """One step of a query's thread: who, when (UTC), what they did and what they wrote."""

    __tablename__ = "data_query_messages"
    query_id: Mapped[int] = mapped_column(ForeignKey("data_queries.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[QueryAction] = mapped_column(_enum(QueryAction))
    text: Mapped[str] = mapped_column(Text)
    #: Written by the store on behalf of an edit check, not typed by the user named.
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)


class DataQuery(PatientOwned, Versioned, Base):
    """A question on an item of a patient's record and its current state."""

    __tablename__ = "data_queries"
    #: A course-kind URL segment (``remission.store.COURSE_KINDS``) or ``baseline``.
    form: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: A column of the form's table, or a dotted path in the baseline record.
    field: Mapped[str | None] = mapped_column(String(200), nullable=True)
    state: Mapped[QueryState] = mapped_column(_enum(QueryState), index=True)
    opened_by: Mapped[str] = mapped_column(String(64))
    #: The edit check that raised the query; ``None`` when a person opened it.
    check_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    #: When the data was first seen to satisfy that check (the query stays open for a person).
    check_satisfied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    messages: Mapped[list[QueryMessage]] = relationship(order_by=QueryMessage.id, lazy="selectin")
    patient: Mapped[Patient] = relationship(viewonly=True)

    @property
    def study_id(self) -> str:
        """The patient's pseudonymous study id."""
        return self.patient.study_id


# The audit trail covers every table mapped when models.py is imported; these are mapped after it.
AUDITED.update({model.__tablename__: model for model in (DataQuery, QueryMessage)})
