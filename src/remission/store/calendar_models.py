"""The standing of every calendar item, kept up to date by the store for fast worklists.

One row per assessment occurrence of a patient under a protocol they are enrolled in: its window,
the date it was done and its fixed state (see :mod:`remission.conduct.standing`). Rows are derived
data, rewritten by :mod:`remission.store.calendar_upkeep` whenever a write changes what a calendar
reads; they are not audited (the writes they follow are) and nobody edits them. Reads are scoped
to the actor's sites like every clinical row (:class:`SiteScoped`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from remission.store.base import Base, SiteScoped


class CalendarEntry(SiteScoped, Base):
    __tablename__ = "calendar_entries"
    __table_args__ = (Index("ix_calendar_entries_worklist", "site_id", "standing", "due_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    protocol_id: Mapped[str] = mapped_column(String(64))
    protocol_version: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)  # the item's place in the patient's calendar
    assessment: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    occurrence: Mapped[str] = mapped_column(String(64))
    standing: Mapped[str] = mapped_column(String(40))
    due_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    missing_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
