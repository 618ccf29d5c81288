"""The table of electronic signatures: who signed which unit of a patient's records, when, meaning what.

A :class:`Signature` keeps the signer's user id, username and printed name, the UTC time, the
meaning, the attestation the signer saw, and the SHA-256 digest of the signed content
(:mod:`remission.store.signed_content`). It is patient-owned, so site isolation and the audit
trail cover it: its creation is an entry of the hash-chained trail, which is what binds it to its
record (§11.70; :func:`remission.store.signatures.verify_signatures`). A signature is never
changed or deleted; the only change the store makes is to mark it invalidated when its content
changes (:mod:`remission.store.signature_hooks`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from remission.protocols.signature_plan import SignatureMeaning, SignedUnit
from remission.store.base import Base, PatientOwned, UTCDateTime, Versioned
from remission.store.models import AUDITED


def _enum(kind: type) -> Enum:
    return Enum(kind, native_enum=False, values_callable=lambda e: [m.value for m in e], length=40)


class Signature(PatientOwned, Versioned, Base):
    """One electronic signature of one unit (a row, or the whole casebook when ``row_id`` is None)."""

    __tablename__ = "signatures"
    __table_args__ = (Index("ix_signatures_patient_valid", "patient_id", "invalidated_at"),)
    unit: Mapped[SignedUnit] = mapped_column(_enum(SignedUnit))
    row_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    meaning: Mapped[SignatureMeaning] = mapped_column(_enum(SignatureMeaning))
    signer_user_id: Mapped[int] = mapped_column(Integer)
    signer_username: Mapped[str] = mapped_column(String(64))
    signer_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attestation: Mapped[str] = mapped_column(Text)
    #: SHA-256 (hex) of the signed content as it was at signing.
    content_digest: Mapped[str] = mapped_column(String(64))
    #: When a change to the signed content invalidated the signature (a re-signature is needed).
    invalidated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    invalidated_because: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def valid(self) -> bool:
        return self.invalidated_at is None

    @property
    def label(self) -> str:
        """The signed unit in words, e.g. ``serious-adverse-event 12`` or ``casebook``."""
        return unit_label(self.unit, self.row_id)


def unit_label(unit: SignedUnit, row_id: int | None) -> str:
    """A unit in words: its kind, and its row when it has one (``phase-report 3``, ``casebook``)."""
    return unit.value if row_id is None else f"{unit.value} {row_id}"


# The audit hook writes the tables it knows (models.AUDITED, built when models.py loads).
AUDITED[Signature.__tablename__] = Signature
