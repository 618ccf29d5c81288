"""Reading the audit trail, with identifier values hidden from those who may not see them.

Only administrators, data managers and monitors (and the operator) read the trail; the check
is made here, so every caller — API, web page, command line — gets the same answer.

Filtering by patient stores nothing new: an entry belongs to a patient when it is about the
patient row (``patients``, the patient's id) or about a row whose own entries once recorded
that patient in its ``patient_id`` column (every create of a patient-owned row does). So rows
deleted since still count. The limit: entries that name no row — an export of the endpoint
dataset, account changes — are about no one patient and never match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, select, union

from remission.store.actor import AccessDenied, Actor
from remission.store.base import PatientOwned, SiteScoped
from remission.store.errors import NotFound
from remission.store.minimum_necessary import WITHHELD, withhold_in_text
from remission.store.models import AUDITED, OWNER_FIELD, AuditEntry, Patient, PatientIdentifiers
from remission.store.session import StudySession
from remission.store.vocabulary import Role

AUDIT_READERS = (Role.ADMIN, Role.DATA_MANAGER, Role.MONITOR)
REDACTED = "(identifier hidden)"
_IDENTIFYING_ENTITIES = frozenset({PatientIdentifiers.__tablename__})
#: Entries on one page of :func:`read_audit_page`.
AUDIT_PER_PAGE = 100


def may_read_audit(actor: Actor) -> bool:
    """True when ``actor`` may read the audit trail (what :func:`read_audit` enforces)."""
    return actor.has(*AUDIT_READERS)


def _require_reader(session: StudySession) -> None:
    if not may_read_audit(session.actor):
        raise AccessDenied(f"{session.actor.username} may not read the audit trail")


@dataclass(frozen=True)
class AuditPage:
    """One page of filtered audit entries, newest first."""

    entries: list[dict[str, Any]]
    page: int
    per_page: int
    has_next: bool
    #: The patient the entries were filtered by, if any.
    patient: Patient | None = None

    @property
    def has_previous(self) -> bool:
        """True when a newer page exists."""
        return self.page > 1


def _patient_id(session: StudySession, study_id: str) -> int:
    """The id of the patient with ``study_id`` the actor may read; ``NotFound`` otherwise."""
    patient_id = session.scalar(select(Patient.id).where(Patient.study_id == study_id))
    if patient_id is None:
        raise NotFound("patient", study_id)
    return patient_id


def _filters(
    session: StudySession,
    *,
    entity: str | None,
    entity_id: int | None,
    study_id: str | None,
    username: str | None,
    action: str | None,
    since: date | None,
    until: date | None,
) -> list[ColumnElement[bool]]:
    """The WHERE clauses for the filters given; ``since`` and ``until`` are inclusive UTC days."""
    table = AuditEntry.__table__
    clauses: list[ColumnElement[bool]] = []
    if entity is not None:
        clauses.append(table.c.entity == entity)
    if entity_id is not None:
        clauses.append(table.c.entity_id == entity_id)
    if username is not None:
        clauses.append(table.c.username == username)
    if action is not None:
        clauses.append(table.c.action == action)
    # ``at`` is ISO 8601 UTC text of one fixed width, so text order is time order.
    if since is not None:
        clauses.append(table.c.at >= since.isoformat())
    if until is not None:
        clauses.append(table.c.at < (until + timedelta(days=1)).isoformat())
    if study_id is not None:
        clauses.append(table.c.seq.in_(_patient_entries(_patient_id(session, study_id))))
    return clauses


def _patient_entries(patient_id: int) -> Select[tuple[int]]:
    """The seqs of the entries of the patient row and of every row that ever belonged to the patient.

    Driven by the indexes of migration 0016, so it reads the patient's entries, not the trail: the
    rows are found from the entries that set or changed a ``patient_id`` to this patient (the
    partial indexes' condition is written out literally so that the planner can match it), then
    their entries by ``(entity, entity_id)``.
    """
    table = AuditEntry.__table__
    owner = table.alias("owner")
    entry = table.alias("entry")
    value = str(patient_id)
    owned = union(
        *(
            select(owner.c.entity, owner.c.entity_id).where(literal_column(OWNER_FIELD), side == value)
            for side in (owner.c.new_value, owner.c.old_value)
        )
    ).subquery("owned")
    of_owned_rows = select(entry.c.seq).join(
        owned, and_(entry.c.entity == owned.c.entity, entry.c.entity_id == owned.c.entity_id)
    )
    of_patient_row = select(table.c.seq).where(
        table.c.entity == Patient.__tablename__, table.c.entity_id == patient_id
    )
    return select(union(of_owned_rows, of_patient_row).subquery().c.seq)


def _withheld_value(entry: dict[str, Any], value: str | None) -> str | None:
    """A value of an entry whose reader may not see identifiers: a patient's date of birth,
    and one named inside a text or stored JSON (a screening's reasons and traces), is withheld."""
    if value is None:
        return None
    if entry["entity"] == Patient.__tablename__ and entry["field"] == "date_of_birth":
        return WITHHELD
    return withhold_in_text(value)


def _shown(session: StudySession, rows: Any) -> list[dict[str, Any]]:
    """The entries as dicts; identifier rows' values and dates of birth hidden from readers
    without identifier access at the row's site."""
    entries = []
    for row in rows:
        entry = dict(row)
        if not session.actor.sees_identifiers_at(entry["site_id"]):
            for side in ("old_value", "new_value"):
                if entry["entity"] in _IDENTIFYING_ENTITIES:
                    entry[side] = REDACTED if entry[side] is not None else None
                else:
                    entry[side] = _withheld_value(entry, entry[side])
        entries.append(entry)
    return entries


def read_audit(
    session: StudySession,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    after_seq: int = 0,
    limit: int = 1000,
    study_id: str | None = None,
    username: str | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[dict[str, Any]]:
    """Entries in chain order, after ``after_seq``, of one table (and row) or of all.

    ``study_id`` keeps the entries of that patient and of every row that belongs to them
    (see the module's docstring; an unknown or unreadable patient raises :class:`NotFound`),
    ``username`` and ``action`` match exactly, ``since`` and ``until`` are inclusive UTC dates.
    Values of identifier rows, and dates of birth, are shown only to roles of that row's site,
    as the identifiers themselves are; everyone else sees that they changed. Raises :class:`AccessDenied` for
    roles that may not read the trail.
    """
    _require_reader(session)
    table = AuditEntry.__table__
    clauses = _filters(
        session,
        entity=entity,
        entity_id=entity_id,
        study_id=study_id,
        username=username,
        action=action,
        since=since,
        until=until,
    )
    query = select(table).where(table.c.seq > after_seq, *clauses).order_by(table.c.seq).limit(limit)
    return _shown(session, session.execute(query).mappings())


def read_audit_page(
    session: StudySession,
    *,
    study_id: str | None = None,
    username: str | None = None,
    entity: str | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    per_page: int = AUDIT_PER_PAGE,
) -> AuditPage:
    """Page ``page`` (from 1) of the entries that pass every filter given, newest first.

    The filters are :func:`read_audit`'s. A page past the last one is empty. Raises
    :class:`AccessDenied` for roles that may not read the trail, :class:`NotFound` for a
    ``study_id`` the actor may not read.
    """
    _require_reader(session)
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page start at 1")
    table = AuditEntry.__table__
    clauses = _filters(
        session,
        entity=entity,
        entity_id=None,
        study_id=study_id,
        username=username,
        action=action,
        since=since,
        until=until,
    )
    query = (
        select(table)
        .where(*clauses)
        .order_by(table.c.seq.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    )
    entries = _shown(session, session.execute(query).mappings())
    patient = None
    if study_id is not None:
        patient = session.scalar(select(Patient).where(Patient.study_id == study_id))
    return AuditPage(entries[:per_page], page, per_page, len(entries) > per_page, patient)


def read_latest_audit(session: StudySession, *, limit: int) -> list[dict[str, Any]]:
    """The latest ``limit`` entries of the chain, newest first."""
    _require_reader(session)
    last = session.scalar(select(func.max(AuditEntry.seq))) or 0
    entries = read_audit(session, after_seq=max(0, last - limit), limit=limit)
    entries.reverse()
    return entries


def audit_subject(session: StudySession, *, entity: str, entity_id: int) -> Patient | None:
    """The patient a record of ``entity`` belongs to, if the actor may read it.

    Raises :class:`NotFound` for a table that is not audited. A deleted row has no row left
    (but keeps its history), and a row outside the actor's sites is not read: both give ``None``.
    """
    _require_reader(session)
    model = AUDITED.get(entity)
    if model is None:
        raise NotFound("audit record", entity)
    if not issubclass(model, SiteScoped):
        return None
    row = session.get(model, entity_id)
    if isinstance(row, Patient):
        return row
    if isinstance(row, PatientOwned):
        return session.get(Patient, row.patient_id)
    return None
