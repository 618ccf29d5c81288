"""The table of consent form versions: which versions of which form a study's ethics committee approved.

A version belongs to a study (``protocol_id``) and a kind of consent (parental permission, the
child's assent, the participant's own consent at the age of majority). It is valid for a consent
dated on or after ``approved_on`` and before ``retired_on`` (the date the committee superseded or
withdrew it), if that is set. The table is study-level, not site-scoped: every site uses the same
forms. Only administrators and data managers write it (:mod:`remission.store.scoping`); every
change is audited like every other row. See ``docs/conduct.md``, "Consent versions".
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Enum, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from remission.record.vocabulary import ConsentKind
from remission.store.base import Base, Versioned
from remission.store.models import AUDITED


class ConsentFormVersion(Versioned, Base):
    """One version of one consent form of a study, with its approval and retirement dates."""

    __tablename__ = "consent_form_versions"
    __table_args__ = (UniqueConstraint("protocol_id", "kind", "label"),)
    protocol_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[ConsentKind] = mapped_column(
        Enum(ConsentKind, native_enum=False, values_callable=lambda e: [m.value for m in e], length=40)
    )
    label: Mapped[str] = mapped_column(String(64))
    #: The ethics committee's approval date; ``None`` while the version awaits approval.
    approved_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: Who approved it: the ethics committee (institutional review board) by name.
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: From this date the version may no longer be used for new consents (superseded or withdrawn).
    retired_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    def valid_on(self, day: date) -> bool:
        """Whether a consent dated ``day`` may be given on this version: approved by then, not yet retired."""
        return (
            self.approved_on is not None
            and self.approved_on <= day
            and (self.retired_on is None or day < self.retired_on)
        )

    def to_dict(self) -> dict[str, object]:
        """The version as JSON-ready values (the API's and the CLI's answer)."""
        return {
            "id": self.id,
            "version": self.version,
            "protocol_id": self.protocol_id,
            "kind": self.kind.value,
            "label": self.label,
            "approved_on": self.approved_on.isoformat() if self.approved_on else None,
            "approved_by": self.approved_by,
            "retired_on": self.retired_on.isoformat() if self.retired_on else None,
            "note": self.note,
        }


# The audit hook writes the tables it knows (models.AUDITED); this table joins them here.
AUDITED[ConsentFormVersion.__tablename__] = ConsentFormVersion
