"""The study's tables: sites, users and roles, patients and their course.

Every clinical row is site-scoped and versioned; the store's session events filter
reads by site and write the audit trail (see :mod:`remission.store.scoping` and
:mod:`remission.store.audit`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from remission.record.vocabulary import MRDMethod, MRDTimePoint, Sex
from remission.store.base import Base, Identifying, PatientOwned, SiteScoped, UTCDateTime, Versioned
from remission.store.vocabulary import (
    Attribution,
    CardiacMethod,
    DonorType,
    FollowUpStatus,
    RelapseSite,
    RelapseTiming,
    Role,
)

#: The condition of the partial indexes on an audit entry's values: entries that set a row's owner.
OWNER_FIELD = "field = 'patient_id'"


def _enum(kind: type) -> Enum:
    return Enum(kind, native_enum=False, values_callable=lambda e: [m.value for m in e], length=40)


class Site(Versioned, Base):
    __tablename__ = "sites"
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class User(Versioned, Base):
    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RoleAssignment(Versioned, Base):
    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role", "site_id"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True)


class Patient(SiteScoped, Versioned, Base):
    """A pseudonymous patient. ``baseline`` holds the diagnostic record (record model JSON)."""

    __tablename__ = "patients"
    study_id: Mapped[str] = mapped_column(String(64), unique=True)
    sex: Mapped[Sex | None] = mapped_column(_enum(Sex), nullable=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    baseline: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PatientIdentifiers(Identifying, PatientOwned, Versioned, Base):
    """Direct identifiers, kept apart from the pseudonymous record."""

    __tablename__ = "patient_identifiers"
    __table_args__ = (UniqueConstraint("patient_id"),)
    full_name: Mapped[str] = mapped_column(String(200))
    medical_record_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    contact: Mapped[str | None] = mapped_column(Text, nullable=True)


class ConsentRecord(PatientOwned, Versioned, Base):
    """A consent, assent or parental permission; its kind follows ``given_by``.

    ``protocol_id`` names the study whose registered consent form version ``form_version`` is
    (:mod:`remission.store.consent_versions`); ``None`` for a consent not tied to one (rows from
    before migration 0014).
    """

    __tablename__ = "consents"
    given_by: Mapped[str] = mapped_column(String(40))
    date: Mapped[date] = mapped_column(Date)
    form_version: Mapped[str] = mapped_column(String(64))
    protocol_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Enrollment(PatientOwned, Versioned, Base):
    """Enrollment with the screening result it was made on and the protocol version."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("patient_id", "protocol_id"),)
    protocol_id: Mapped[str] = mapped_column(String(64))
    protocol_version: Mapped[str] = mapped_column(String(64))
    enrolled_on: Mapped[date] = mapped_column(Date)
    verdict: Mapped[str] = mapped_column(String(40))
    screening: Mapped[dict[str, Any]] = mapped_column(JSON)
    enrolled_by: Mapped[str] = mapped_column(String(64))


class RiskAssignment(PatientOwned, Versioned, Base):
    __tablename__ = "risk_assignments"
    protocol_id: Mapped[str] = mapped_column(String(64))
    protocol_version: Mapped[str] = mapped_column(String(64))
    risk_group: Mapped[str] = mapped_column(String(40))
    arm: Mapped[str | None] = mapped_column(String(64), nullable=True)
    provisional_track: Mapped[str | None] = mapped_column(String(64), nullable=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MRDMeasurement(PatientOwned, Versioned, Base):
    __tablename__ = "mrd_results"
    __table_args__ = (
        CheckConstraint(
            "value_fraction IS NULL OR (value_fraction >= 0 AND value_fraction <= 1)", name="mrd_fraction"
        ),
    )
    time_point: Mapped[MRDTimePoint] = mapped_column(_enum(MRDTimePoint))
    method: Mapped[MRDMethod] = mapped_column(_enum(MRDMethod))
    sample_date: Mapped[date] = mapped_column(Date)
    value_fraction: Mapped[float | None] = mapped_column(Float, nullable=True)
    positive_not_quantifiable: Mapped[bool] = mapped_column(Boolean, default=False)
    sensitivity_fraction: Mapped[float | None] = mapped_column(Float, nullable=True)


class TreatmentPhaseRecord(PatientOwned, Versioned, Base):
    __tablename__ = "treatment_phases"
    phase_id: Mapped[str] = mapped_column(String(64))
    planned_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    planned_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    actual_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    actual_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    deviation: Mapped[str | None] = mapped_column(Text, nullable=True)


class Transplant(PatientOwned, Versioned, Base):
    """An allogeneic HSCT."""

    __tablename__ = "transplants"
    date: Mapped[date] = mapped_column(Date)
    donor_type: Mapped[DonorType] = mapped_column(_enum(DonorType))
    conditioning_regimen: Mapped[str] = mapped_column(Text)


class AdverseEvent(PatientOwned, Versioned, Base):
    __tablename__ = "adverse_events"
    __table_args__ = (CheckConstraint("grade BETWEEN 1 AND 5", name="ae_grade"),)
    terminology: Mapped[str] = mapped_column(String(40), default="CTCAE v5.0")
    term: Mapped[str] = mapped_column(String(200))
    grade: Mapped[int] = mapped_column(Integer)
    onset_date: Mapped[date] = mapped_column(Date)
    resolution_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    serious: Mapped[bool] = mapped_column(Boolean)
    attribution: Mapped[Attribution] = mapped_column(_enum(Attribution))


class AnthracyclineDose(PatientOwned, Versioned, Base):
    __tablename__ = "anthracycline_doses"
    __table_args__ = (CheckConstraint("dose_mg_per_m2 > 0", name="dose_positive"),)
    drug: Mapped[str] = mapped_column(String(64))
    dose_mg_per_m2: Mapped[float] = mapped_column(Float)
    date: Mapped[date] = mapped_column(Date)
    dexrazoxane: Mapped[bool] = mapped_column(Boolean, default=False)


class Relapse(PatientOwned, Versioned, Base):
    __tablename__ = "relapses"
    date: Mapped[date] = mapped_column(Date)
    site: Mapped[RelapseSite] = mapped_column(_enum(RelapseSite))
    timing: Mapped[RelapseTiming] = mapped_column(_enum(RelapseTiming))
    treatment: Mapped[str | None] = mapped_column(Text, nullable=True)
    remission_before_second_hsct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    second_hsct_conditioning: Mapped[str | None] = mapped_column(Text, nullable=True)


class Death(PatientOwned, Versioned, Base):
    __tablename__ = "deaths"
    __table_args__ = (UniqueConstraint("patient_id"),)
    date: Mapped[date] = mapped_column(Date)
    cause: Mapped[str] = mapped_column(Text)


class FollowUp(PatientOwned, Versioned, Base):
    __tablename__ = "follow_ups"
    date: Mapped[date] = mapped_column(Date)
    status: Mapped[FollowUpStatus] = mapped_column(_enum(FollowUpStatus))


class PhaseReport(PatientOwned, Versioned, Base):
    """The end-of-phase report: the phase was reported on, completed as planned or not."""

    __tablename__ = "phase_reports"
    phase_id: Mapped[str] = mapped_column(String(64))
    date: Mapped[date] = mapped_column(Date)
    completed_as_planned: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class CardiacAssessment(PatientOwned, Versioned, Base):
    """A cardiac function assessment (after anthracyclines); fractions in percent, as reported."""

    __tablename__ = "cardiac_assessments"
    date: Mapped[date] = mapped_column(Date)
    method: Mapped[CardiacMethod] = mapped_column(_enum(CardiacMethod))
    shortening_fraction_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    ejection_fraction_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    finding: Mapped[str | None] = mapped_column(Text, nullable=True)


class AuditContent:
    """The columns an audit entry's content digest covers (see :mod:`remission.store.audit`)."""

    at: Mapped[str] = mapped_column(String(32), doc="UTC, ISO 8601 with microseconds and Z")
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    site_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    field: Mapped[str | None] = mapped_column(String(64), nullable=True)
    old_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class AuditEntry(AuditContent, Base):
    """One append-only, hash-chained audit entry, authenticated by the application's key.

    ``entry_mac`` is the HMAC of the content digest and ``nonce`` under the key ``key_id``
    (:mod:`remission.store.audit_keys`); its place in the chain is fixed by its
    :class:`AuditSeal`. The three are NULL only in a chain written before migration 0006 that
    was not converted, which verification reports.
    """

    __tablename__ = "audit_entries"
    # A patient's entries without reading the whole trail (migration 0016): the rows that ever
    # belonged to the patient, by their ``patient_id`` entries, and those rows' entries.
    __table_args__ = (
        Index("ix_audit_entries_row", "entity", "entity_id"),
        *(
            Index(
                f"ix_audit_entries_patient_{side}",
                side,
                sqlite_where=text(OWNER_FIELD),
                postgresql_where=text(OWNER_FIELD),
            )
            for side in ("new_value", "old_value")
        ),
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    nonce: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True, index=True)
    entry_mac: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditSeal(Base):
    """The keyed link of one audit entry: an HMAC over the previous seal, its seq and content.

    Written by the application, which holds the key, once the entry is in the chain: in the
    same transaction on SQLite, right after COMMIT on PostgreSQL (see
    :mod:`remission.store.audit_sealing`). Append-only like the entries.
    """

    __tablename__ = "audit_seals"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key_id: Mapped[str] = mapped_column(String(32))
    mac: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed statement of the chain's head: entry ``seq`` has ``hash`` and seal ``seal``.

    ``signature`` is an Ed25519 signature (hex) by the key whose id is ``signer`` over the
    checkpoint's canonical JSON (:mod:`remission.store.audit_checkpoints`). Append-only.
    """

    __tablename__ = "audit_checkpoints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, index=True)
    hash: Mapped[str] = mapped_column(String(64))
    seal: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(32), doc="UTC, ISO 8601 with microseconds and Z")
    signer: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


class AuditPending(Base):
    """One flush's audit entries in a PostgreSQL transaction, moved into the chain at COMMIT.

    ``entries`` is a JSON array of the entries' content with their content digests. A deferred
    trigger (migration 0003) chains them when the transaction commits, so the chain's lock is
    held only inside PostgreSQL, never across a round trip to the application. The table is
    empty outside open transactions.
    """

    __tablename__ = "audit_pending"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class IdempotencyKey(Base):
    """The stored response of a POST made with an ``Idempotency-Key``."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The sites of the rows the request wrote, sorted: a replay needs read access to each.
    #: NULL for keys stored before migration 0004.
    site_ids: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)


class SignInThrottle(Base):
    """Failed sign-ins of one account or one client address (see :mod:`remission.store.sign_in_checks`).

    The key is a SHA-256 of the kind and the username or address, so the table holds neither
    (a username field sometimes holds a mistyped password). Written outside the audit trail:
    every unauthenticated attempt changes it, and it holds no study data.
    """

    __tablename__ = "sign_in_throttle"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    failures: Mapped[int] = mapped_column(Integer)
    last_failure: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UserSession(Base):
    """A signed-in session: a web session cookie or an API bearer token refers to one row
    (see :mod:`remission.store.user_sessions`).

    The key is the SHA-256 of the session's random id, so the table alone cannot be used to
    act as anyone. Written outside the audit trail (every sign-in and page refresh changes it);
    the account changes that revoke sessions are audited themselves.
    """

    __tablename__ = "user_sessions"
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The session ends at this time unless a request extends it (idle timeout).
    idle_until: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The session ends at this time however active it is.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the session's user first signed electronically in it: later signatures in the same
    #: session need only the password (21 CFR Part 11 §11.200(a)(1)(i)).
    first_signature_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


#: Entities written to the audit trail, by table name.
AUDITED = {
    mapper.class_.__tablename__: mapper.class_
    for mapper in Base.registry.mappers
    if mapper.class_
    not in (AuditEntry, AuditPending, AuditSeal, AuditCheckpoint, IdempotencyKey, SignInThrottle, UserSession)
}
