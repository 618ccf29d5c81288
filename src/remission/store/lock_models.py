"""The table of freezes and locks: which part of the study's data is frozen or locked, by whom, why.

A :class:`DataLock` covers one *target*: a form (one row of a patient's form, or the baseline
record), a patient's casebook, a site, or the whole study. *Frozen* data refuses changes to its
values but still takes data queries, signatures and source verification; *locked* data refuses
every change. A lock is never deleted: releasing it records who, when and why
(:mod:`remission.store.locks`). The rows are audited; they are not site-scoped rows, because a
study lock belongs to no site — the store scopes what each actor may list.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from remission.store.base import Base, UTCDateTime, Versioned
from remission.store.models import AUDITED


class LockLevel(StrEnum):
    FORM = "form"
    CASEBOOK = "casebook"
    SITE = "site"
    STUDY = "study"


class LockState(StrEnum):
    FROZEN = "frozen"  # values refuse changes; queries, signatures and SDV still allowed
    LOCKED = "locked"  # every change refused


def _enum(kind: type) -> Enum:
    return Enum(kind, native_enum=False, values_callable=lambda e: [m.value for m in e], length=40)


class DataLock(Versioned, Base):
    """A freeze or lock of one target, active until released."""

    __tablename__ = "data_locks"
    __table_args__ = (Index("ix_data_locks_active", "released_at", "level"),)
    level: Mapped[LockLevel] = mapped_column(_enum(LockLevel))
    state: Mapped[LockState] = mapped_column(_enum(LockState))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True, index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), nullable=True, index=True)
    #: A course-kind segment or ``baseline`` (form level only).
    form: Mapped[str | None] = mapped_column(String(40), nullable=True)
    row_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Why a casebook was locked without every required signature valid.
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    release_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def active(self) -> bool:
        return self.released_at is None


AUDITED[DataLock.__tablename__] = DataLock
