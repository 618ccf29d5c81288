"""The table of source data verification (SDV) marks: a monitor's check of an item against the source.

A mark names one item of a patient's data with the item key that data queries and missing-data
codes use (:func:`remission.store.missing_data_items.item_key`): a baseline field
(``baseline:genetics.kmt2a.status``), a column of the patient row (``patient:date_of_birth``), a
column of one course row (``mrd#12:value_fraction``) or a whole course row — the form
(``adverse-events#7:``). ``item`` is unique per patient. A mark is *verified* (who, when) until the
value it covers changes; then the store sets it to *reset* in the same transaction, with the change
in ``reset_note`` (:mod:`remission.store.sdv_resets`), so the audit trail shows why. The rows are
patient-owned: site-scoped, versioned and audited like every clinical row.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from remission.store.base import Base, PatientOwned, UTCDateTime, Versioned, utc_now
from remission.store.models import AUDITED


class SDVState(StrEnum):
    VERIFIED = "verified"
    #: The value changed after it was verified; it needs verifying again.
    RESET = "reset"


class SourceVerification(PatientOwned, Versioned, Base):
    """One SDV mark on one item (a field or a whole course row) of a patient's data."""

    __tablename__ = "source_verifications"
    __table_args__ = (UniqueConstraint("patient_id", "item"),)
    item: Mapped[str] = mapped_column(String(300))
    #: ``baseline``, ``patient`` or a course-kind segment.
    form: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: A dotted baseline path, a column; ``None`` for a whole course row.
    field: Mapped[str | None] = mapped_column(String(200), nullable=True)
    state: Mapped[SDVState] = mapped_column(
        Enum(SDVState, native_enum=False, values_callable=lambda e: [m.value for m in e], length=20)
    )
    verified_by: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: What changed after verification ("value_fraction changed from 0.001 to 0.002 after verification").
    reset_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    def to_dict(self) -> dict[str, object]:
        """The mark as JSON-ready values (the API's and the CLI's answer)."""
        return {
            "id": self.id,
            "version": self.version,
            "patient_id": self.patient_id,
            "item": self.item,
            "form": self.form,
            "row_id": self.row_id,
            "field": self.field,
            "state": self.state.value,
            "verified_by": self.verified_by,
            "verified_at": self.verified_at.isoformat(),
            "reset_at": self.reset_at.isoformat() if self.reset_at else None,
            "reset_note": self.reset_note,
        }


# The audit hook writes the tables it knows (models.AUDITED); this one joins them here.
AUDITED[SourceVerification.__tablename__] = SourceVerification
