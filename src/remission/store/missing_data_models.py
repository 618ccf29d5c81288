"""The table of missing-data codes: why an item of a patient's data has no value.

An item is a field of the patient's baseline record (``form`` ``baseline``, ``field`` a dotted
record path), a column of one course row (``form`` a course-kind segment, ``row_id``, ``field``
the column), or one occurrence of a scheduled assessment (``form`` ``calendar``, ``protocol_id``,
``assessment``, ``occurrence``). ``item`` is the canonical key of the three, unique per patient,
so the database refuses a second code on one item even between concurrent writers. The rows are
patient-owned: site-scoped, versioned and audited like every clinical row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from remission.record.vocabulary import MissingCode
from remission.store.base import Base, PatientOwned, UTCDateTime, Versioned, utc_now
from remission.store.models import AUDITED

#: ``form`` of a scheduled assessment occurrence (a baseline field's is ``BASELINE_FORM``).
CALENDAR_FORM = "calendar"


class MissingDataCode(PatientOwned, Versioned, Base):
    """One missing-data code on one item of a patient's data, with who recorded it and when."""

    __tablename__ = "missing_data_codes"
    __table_args__ = (UniqueConstraint("patient_id", "item"),)
    item: Mapped[str] = mapped_column(String(300))
    form: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    field: Mapped[str | None] = mapped_column(String(200), nullable=True)
    protocol_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    assessment: Mapped[str | None] = mapped_column(String(64), nullable=True)
    occurrence: Mapped[str | None] = mapped_column(String(64), nullable=True)
    code: Mapped[MissingCode] = mapped_column(
        Enum(MissingCode, native_enum=False, values_callable=lambda e: [m.value for m in e], length=40)
    )
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    def to_dict(self) -> dict[str, object]:
        """The code as JSON-ready values (the API's and the CLI's answer)."""
        return {
            "id": self.id,
            "version": self.version,
            "patient_id": self.patient_id,
            "item": self.item,
            "form": self.form,
            "row_id": self.row_id,
            "field": self.field,
            "protocol_id": self.protocol_id,
            "assessment": self.assessment,
            "occurrence": self.occurrence,
            "code": self.code.value,
            "note": self.note,
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at.isoformat(),
        }


# The audit hook writes the tables it knows (models.AUDITED, built when models.py loads); this
# table lives in its own module, so it joins them here, which every StudySession imports.
AUDITED[MissingDataCode.__tablename__] = MissingDataCode
