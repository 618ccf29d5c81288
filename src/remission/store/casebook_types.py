"""A patient's casebook as plain values: what :func:`remission.store.read_casebook` hands a renderer.

Every value is read and disclosed inside the store (site scope, the date of birth only for roles
of the patient's site, the audit trail only for its readers); a renderer (the PDF of
:mod:`remission.documents.casebook_pdf`) only lays the values out. Nothing here is an ORM row, so
a casebook outlives the session it was read in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class CasebookCode:
    """A missing-data code on one item: why the item has no value."""

    item: str
    field: str | None
    code: str
    note: str | None
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class CasebookField:
    """One recorded value of a form (``None`` when nothing is recorded), with its code if it has one."""

    name: str
    value: Any
    code: CasebookCode | None = None


@dataclass(frozen=True, slots=True)
class CasebookMessage:
    """One step of a query's thread: who, when (UTC), what, and the text."""

    at: datetime
    username: str
    action: str
    text: str
    automatic: bool


@dataclass(frozen=True, slots=True)
class CasebookQuery:
    """A data query on a form (and a field of it), with its whole thread."""

    id: int
    form: str
    row_id: int | None
    field: str | None
    state: str
    opened_by: str
    check_id: str | None
    messages: tuple[CasebookMessage, ...]


@dataclass(frozen=True, slots=True)
class CasebookSignature:
    """A signature of a unit, or a required one not given yet (``signed_at`` None).

    ``state`` is a :class:`remission.store.SignatureState` value: ``valid``,
    ``invalidated — re-signature needed`` or ``unsigned``.
    """

    unit: str
    meaning: str
    state: str
    signer_name: str | None = None
    signer_username: str | None = None
    signed_at: datetime | None = None
    invalidated_at: datetime | None = None
    invalidated_because: str | None = None
    #: The protocol that requires it (for a required signature).
    protocol_id: str | None = None


@dataclass(frozen=True, slots=True)
class CasebookLock:
    """A freeze or lock in force: what it covers, since when (UTC), by whom and why."""

    level: str
    state: str
    set_by: str
    set_at: datetime
    reason: str | None


@dataclass(frozen=True, slots=True)
class SDVLine:
    """An item the SDV plan requires; its state is verified, reset, unverified or not recorded.

    ``form`` and ``row_id`` place it on a form of the casebook (``patient``, ``baseline``, a course
    form's segment); ``detail`` says who verified it and when, or what changed since.
    """

    item: str
    form: str
    row_id: int | None
    field: str | None
    state: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CasebookSDV:
    """The patient's source data verification for the casebook; ``note`` says when there is none."""

    lines: tuple[SDVLine, ...] = ()
    note: str | None = None


#: Reads a patient's SDV status for the casebook, inside the casebook's study session.
#: What the casebook says when the SDV plans of the patient's protocols require nothing.
NOTHING_REQUIRED = "The SDV plans of this patient's protocols require nothing to be verified."


@dataclass(frozen=True, slots=True)
class CasebookForm:
    """One form of the casebook: the patient, the baseline record or one stored row (``key``: ``mrd#12``)."""

    key: str
    form: str
    row_id: int | None
    title: str
    fields: tuple[CasebookField, ...]
    queries: tuple[CasebookQuery, ...] = ()
    signatures: tuple[CasebookSignature, ...] = ()
    sdv: tuple[SDVLine, ...] = ()
    lock: CasebookLock | None = None
    #: Columns left out of ``fields`` and why (a stored decision trace).
    omitted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Casebook:
    """One patient's casebook as ``generated_by`` may read it, at ``generated_at`` (UTC)."""

    patient_id: int
    study_id: str
    site: str
    generated_at: datetime
    generated_by: str
    #: ``(protocol id, version)`` of every enrollment and risk assignment, in entry order, once each.
    protocols: tuple[tuple[str, str], ...]
    #: The strongest freeze or lock on the whole casebook (study, site or casebook level), if any.
    lock: CasebookLock | None
    forms: tuple[CasebookForm, ...]
    #: Every signature of the patient (invalidated ones too) and every required one not yet given.
    signatures: tuple[CasebookSignature, ...]
    #: Codes on scheduled assessments (``calendar`` items), which belong to no form.
    calendar_codes: tuple[CasebookCode, ...]
    #: Queries on rows that are no longer stored.
    other_queries: tuple[CasebookQuery, ...]
    sdv: CasebookSDV
    #: Whether the date of birth is shown (roles of the patient's site).
    identifiers_shown: bool
    #: The patient's audit trail in chain order; ``None`` when the reader may not read the trail.
    audit: tuple[dict[str, Any], ...] | None
    #: Why the audit trail is not in the casebook, when it is not.
    audit_note: str = ""
