"""Consent form versions of a study: register, approve, retire and list them; check consents against them.

Administrators and data managers manage the versions (the check is here, whatever the caller, and
again on every flush in :mod:`remission.store.scoping`); every signed-in user may list them, since
sites consent on them. A consent that names a study (``ConsentRecord.protocol_id``) must be on a
registered version of that study's form of its kind that was valid on the consent's date —
approved by then and not retired — or every write of it is refused, naming ``form_version``
(:func:`check_consent_rows`, a ``before_flush`` hook, so no write path escapes it). Enrollment
refuses a consent that is not so (:func:`enrollment_consent_problem`). See ``docs/conduct.md``,
"Consent versions".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from remission.errors import FieldProblem, InputError
from remission.protocols import ProtocolError, load_protocol, shipped_protocol_ids
from remission.record.vocabulary import ConsentGiver, ConsentKind, consent_givers
from remission.store.actor import AccessDenied, Actor
from remission.store.consent_models import ConsentFormVersion
from remission.store.errors import NotFound, Refused
from remission.store.models import ConsentRecord
from remission.store.versioning import flush_or_conflict, require_version
from remission.store.vocabulary import Role

_MANAGERS = frozenset({Role.ADMIN, Role.DATA_MANAGER})
#: The fields of a version that may change after it is registered.
CHANGEABLE = ("approved_on", "approved_by", "retired_on", "note")


def is_parental_permission() -> ColumnElement[bool]:
    """The clause that keeps consents given by parents or a guardian: the record's ``consent``
    (which eligibility reads) and what an enrollment rests on are these, never an assent."""
    return ConsentRecord.given_by.in_(
        [giver.value for giver in consent_givers(ConsentKind.PARENTAL_PERMISSION)]
    )


def may_manage_consent_versions(actor: Actor) -> bool:
    """Whether ``actor`` registers, approves and retires consent form versions."""
    return actor.system or bool(actor.study_roles & _MANAGERS)


def _require_manager(actor: Actor) -> None:
    if not may_manage_consent_versions(actor):
        raise AccessDenied(
            f"{actor.username} may not manage consent form versions (administrators and data managers do)"
        )


def _known_protocol(protocol_id: str) -> str:
    try:
        return load_protocol(protocol_id).id
    except ProtocolError:
        known = ", ".join(shipped_protocol_ids())
        raise InputError(
            "consent form version",
            [FieldProblem("protocol_id", f"unknown protocol {protocol_id!r}; shipped: {known}")],
        ) from None


def _check_dates(version: ConsentFormVersion, today: date) -> None:
    problems = []
    if version.approved_on is not None and version.approved_on > today:
        problems.append(FieldProblem("approved_on", f"{version.approved_on} is after today ({today})"))
    if version.approved_on is not None and not (version.approved_by or "").strip():
        problems.append(FieldProblem("approved_by", "name the ethics committee that approved the version"))
    if version.retired_on is not None and version.approved_on is None:
        problems.append(FieldProblem("retired_on", "a version awaiting approval cannot be retired"))
    if (
        version.retired_on is not None
        and version.approved_on is not None
        and version.retired_on <= version.approved_on
    ):
        problems.append(FieldProblem("retired_on", f"must be after the approval ({version.approved_on})"))
    if problems:
        raise InputError("consent form version", problems)


def add_consent_version(
    session: Session,
    *,
    protocol_id: str,
    kind: ConsentKind,
    label: str,
    approved_on: date | None = None,
    approved_by: str | None = None,
    retired_on: date | None = None,
    note: str | None = None,
    today: date | None = None,
) -> ConsentFormVersion:
    """Register a version of a study's consent form (approved or awaiting approval).

    Refused: a role other than administrator or data manager (:class:`AccessDenied`); an unknown
    protocol, an empty label, an approval after ``today`` or without the committee's name, a
    retirement not after the approval (:class:`InputError` naming the field); a label the form
    already has (:class:`Refused` on ``label``).
    """
    actor: Actor = session.info["actor"]
    _require_manager(actor)
    protocol = _known_protocol(protocol_id)
    cleaned = label.strip()
    if not cleaned:
        raise InputError(
            "consent form version", [FieldProblem("label", "give the version as printed on the form")]
        )
    if session.scalar(
        select(ConsentFormVersion.id).where(
            ConsentFormVersion.protocol_id == protocol,
            ConsentFormVersion.kind == kind,
            ConsentFormVersion.label == cleaned,
        )
    ):
        raise Refused("label", f"version {cleaned} of the {kind} form of {protocol} is already registered")
    version = ConsentFormVersion(
        protocol_id=protocol,
        kind=kind,
        label=cleaned,
        approved_on=approved_on,
        approved_by=(approved_by or "").strip() or None,
        retired_on=retired_on,
        note=(note or "").strip() or None,
    )
    _check_dates(version, today or date.today())
    session.add(version)
    session.flush()
    return version


def get_consent_version(session: Session, *, version_id: int) -> ConsentFormVersion:
    """One registered version; :class:`NotFound` otherwise."""
    version = session.get(ConsentFormVersion, version_id)
    if version is None:
        raise NotFound("consent form version", version_id)
    return version


def list_consent_versions(session: Session, *, protocol_id: str | None = None) -> list[ConsentFormVersion]:
    """The registered versions (of one study, or all), by study, kind and approval, oldest first."""
    query = select(ConsentFormVersion)
    if protocol_id is not None:
        query = query.where(ConsentFormVersion.protocol_id == protocol_id)
    rows = list(session.scalars(query))
    return sorted(rows, key=lambda v: (v.protocol_id, v.kind.value, v.approved_on or date.max, v.id))


def consents_on(session: Session, version: ConsentFormVersion) -> list[ConsentRecord]:
    """The stored consents (of the sites the actor reads) given on ``version``."""
    return list(
        session.scalars(
            select(ConsentRecord).where(
                ConsentRecord.protocol_id == version.protocol_id,
                ConsentRecord.given_by.in_([g.value for g in consent_givers(version.kind)]),
                ConsentRecord.form_version == version.label,
            )
        )
    )


def update_consent_version(
    session: Session, *, version_id: int, version: int, values: dict[str, Any], today: date | None = None
) -> ConsentFormVersion:
    """Approve, retire or annotate a version read at ``version`` (a reason is required, as for every change).

    Only :data:`CHANGEABLE` fields may change; a change that would leave a stored consent on this
    version outside its validity (an approval moved after it, a retirement before it) is refused
    naming the field.
    """
    _require_manager(session.info["actor"])
    row = get_consent_version(session, version_id=version_id)
    require_version(row, version)
    unknown = sorted(set(values) - set(CHANGEABLE))
    if unknown:
        raise InputError(
            "consent form version", [FieldProblem(name, "cannot be changed") for name in unknown]
        )
    for name, value in values.items():
        setattr(row, name, value.strip() or None if isinstance(value, str) else value)
    _check_dates(row, today or date.today())
    with session.no_autoflush:
        stranded = [c for c in consents_on(session, row) if not row.valid_on(c.date)]
    if stranded:
        field = "retired_on" if "retired_on" in values else "approved_on"
        dates = ", ".join(sorted({c.date.isoformat() for c in stranded}))
        raise Refused(
            field,
            f"consents dated {dates} were given on version {row.label}; they would fall outside its validity",
        )
    flush_or_conflict(session, row)
    return row


def consent_version_problem(session: Session, consent: ConsentRecord) -> FieldProblem | None:
    """Why a consent naming a study is not on a version of its form valid on its date, or ``None``."""
    if consent.protocol_id is None:
        return None
    try:
        kind = ConsentGiver(consent.given_by).kind
    except ValueError:
        return None  # the schema refuses an unknown giver, naming given_by
    versions = list(
        session.scalars(
            select(ConsentFormVersion).where(
                ConsentFormVersion.protocol_id == consent.protocol_id, ConsentFormVersion.kind == kind
            )
        )
    )
    if not versions:
        return FieldProblem(
            "form_version",
            f"{consent.protocol_id} has no {kind} form version registered; "
            "an administrator or data manager registers it first",
        )
    version = next((v for v in versions if v.label == consent.form_version), None)
    if version is None:
        labels = ", ".join(sorted(v.label for v in versions))
        return FieldProblem(
            "form_version",
            f"{consent.form_version!r} is not a registered {kind} form version of {consent.protocol_id} "
            f"(registered: {labels})",
        )
    if version.valid_on(consent.date):
        return None
    if version.approved_on is None:
        why = "it awaits the ethics committee's approval"
    elif consent.date < version.approved_on:
        why = f"it was approved on {version.approved_on}"
    else:
        why = f"it was retired on {version.retired_on}"
    return FieldProblem(
        "form_version",
        f"version {version.label} of the {kind} form of {consent.protocol_id} was not approved on "
        f"{consent.date}: {why}",
    )


def check_consent_rows(session: Session, flush_context: Any, instances: Any) -> None:
    """``before_flush`` hook: refuse a consent naming a study that is not on a version valid on its date."""
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, ConsentRecord):
            with session.no_autoflush:
                problem = consent_version_problem(session, obj)
            if problem is not None:
                raise Refused(problem.field, problem.problem)


def study_has_versions(session: Session, protocol_id: str) -> bool:
    """Whether the study has registered any consent form version (its consents are then checked)."""
    return (
        session.scalar(
            select(ConsentFormVersion.id).where(ConsentFormVersion.protocol_id == protocol_id).limit(1)
        )
        is not None
    )


def enrollment_consent_problem(
    session: Session, *, consent: ConsentRecord | None, protocol_id: str, enrolled_on: date
) -> str | None:
    """Why enrollment in ``protocol_id`` cannot rest on ``consent`` (the child's latest parental
    permission dated on or before the enrollment), or ``None``. A study that registers no consent
    form version is not checked."""
    if not study_has_versions(session, protocol_id):
        return None
    if consent is None:
        return (
            f"no parental permission dated on or before {enrolled_on} is recorded; "
            f"record it on a registered {protocol_id} form version"
        )
    if consent.protocol_id != protocol_id:
        return (
            f"the parental permission of {consent.date} (form {consent.form_version}) names no "
            f"{protocol_id} form version; record it on a registered {protocol_id} form version"
        )
    problem = consent_version_problem(session, consent)
    return None if problem is None else problem.problem
