"""Signing units of a patient's records electronically (21 CFR Part 11 §11.50, §11.70, §11.200).

:func:`sign_units` signs one or more units at once (a bulk signing from a list): it checks that
the actor may sign for each patient (a role the patient's protocols name as signer, at the
patient's site or study-wide), that the password — and, at the first signing of a signed-in
session, the user name too — are the actor's own (§11.200(a)(1)), and writes one
:class:`~remission.store.signature_models.Signature` per unit with the signer's printed name, the
UTC time, the meaning, the attestation and the digest of the signed content. Nothing is written
unless every unit can be signed. Each signature's creation is an audit entry; later changes to
the content mark it invalidated (:mod:`remission.store.signature_hooks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Table, exists, select, update
from sqlalchemy.orm import aliased

from remission.protocols.loader import load_protocol
from remission.protocols.signature_plan import SignatureMeaning, SignedUnit
from remission.store.accounts import site_by_code
from remission.store.errors import Refused, Throttled
from remission.store.models import AdverseEvent, Enrollment, Patient, User, UserSession
from remission.store.passwords import dummy_hash, verify_password
from remission.store.patient_chart import enrolled_protocol_ids
from remission.store.patients import get_patient
from remission.store.session import StudySession
from remission.store.sign_in_checks import SignInPolicy, count_attempt, forgive_attempt
from remission.store.signature_models import Signature
from remission.store.signature_status import RequiredSignatureStatus, SignatureState, required_signatures
from remission.store.signed_content import UNIT_MODELS, unit_digest
from remission.store.user_sessions import session_key
from remission.store.vocabulary import Role

_SESSIONS: Table = UserSession.__table__  # type: ignore[assignment]  # a Table on a mapped class
_PURPOSE = {
    SignatureMeaning.REVIEW: "to record that I have reviewed them",
    SignatureMeaning.APPROVAL: "to approve them",
    SignatureMeaning.RESPONSIBILITY: "to take responsibility for them",
    SignatureMeaning.AUTHORSHIP: "as their author",
}
_BAD_CREDENTIALS = "the user name or password is not correct"


@dataclass(frozen=True, slots=True)
class _Throttle:
    policy: SignInPolicy
    address: str | None
    moment: datetime | None


@dataclass(frozen=True, slots=True)
class UnitRef:
    """One unit to sign: a row of a patient's records, or the whole casebook (``row_id`` None)."""

    patient_id: int
    unit: SignedUnit
    row_id: int | None = None


def attestation_text(*, name: str, username: str, meaning: SignatureMeaning) -> str:
    """The statement a signer signs: who, and what the signature means (§11.50(a))."""
    return (
        f"I, {name} ({username}), sign the records listed electronically {_PURPOSE[meaning]} "
        f"(meaning: {meaning.value}). This electronic signature is the legally binding equivalent "
        "of my handwritten signature."
    )


def signer_roles(session: StudySession, *, patient_id: int) -> frozenset[Role]:
    """The roles the patient's protocols let sign; empty when no protocol names signers."""
    roles: set[Role] = set()
    for protocol_id in enrolled_protocol_ids(session, patient_id=patient_id):
        plan = load_protocol(protocol_id).signatures
        if plan is not None:
            roles.update(Role(role) for role in plan.signers)
    return frozenset(roles)


def may_sign(session: StudySession, *, patient: Patient) -> bool:
    """Whether the actor holds a signer role for this patient, at the patient's site or study-wide."""
    actor = session.actor
    if actor.user_id is None:
        return False
    roles = signer_roles(session, patient_id=patient.id)
    held = actor.study_roles | actor.site_roles.get(patient.site_id, frozenset())
    return bool(roles & held)


def _check_credentials(
    session: StudySession,
    user: User,
    *,
    username: str | None,
    password: str,
    signing_session: str | None,
    throttle: _Throttle,
) -> None:
    """§11.200(a)(1): both components at the first signing of a session, at least the password after.

    The attempt counts against the account's sign-in throttle before the password is checked
    (:func:`~remission.store.sign_in_checks.count_attempt`, committed on its own so a failure
    stays counted when the signature is refused); while the account is locked, :class:`Throttled`
    and no password check. A right password resets the account's counter, as a sign-in does.
    """
    first = True
    if signing_session is not None:
        row = (
            session.connection()
            .execute(
                select(_SESSIONS.c.user_id, _SESSIONS.c.first_signature_at).where(
                    _SESSIONS.c.key_hash == session_key(signing_session)
                )
            )
            .first()
        )
        if row is None or row.user_id != user.id:
            raise Refused("session", "the signed-in session has ended; sign in again")
        first = row.first_signature_at is None
    if username is None and first:
        raise Refused("username", "the first signature of a session needs your user name and password")
    engine = session.get_bind().engine
    moment = throttle.moment or datetime.now(UTC)
    wait = count_attempt(
        engine, username=user.username, address=throttle.address, policy=throttle.policy, moment=moment
    )
    if wait:
        raise Throttled("password", wait)
    if username is not None and username != user.username:
        verify_password(dummy_hash(), password)
        raise Refused("password", _BAD_CREDENTIALS)
    if not verify_password(user.password_hash, password):
        raise Refused("password", _BAD_CREDENTIALS)
    forgive_attempt(engine, username=user.username, address=throttle.address)


def _check_unit(session: StudySession, patient: Patient, ref: UnitRef) -> None:
    if ref.unit is SignedUnit.CASEBOOK:
        if ref.row_id is not None:
            raise Refused("row_id", "a casebook is signed as a whole; give no row")
        return
    row = session.get(UNIT_MODELS[ref.unit], ref.row_id) if ref.row_id is not None else None
    if row is None or row.patient_id != patient.id:
        raise Refused("row_id", f"patient {patient.study_id} has no {ref.unit.value} {ref.row_id}")
    if isinstance(row, AdverseEvent) and not row.serious:
        raise Refused(
            "row_id", f"adverse event {row.id} is not serious; only serious adverse events are signed"
        )


def _already_signed(session: StudySession, ref: UnitRef, meaning: SignatureMeaning, user_id: int) -> bool:
    return (
        session.scalar(
            select(Signature.id).where(
                Signature.patient_id == ref.patient_id,
                Signature.unit == ref.unit,
                Signature.row_id.is_not_distinct_from(ref.row_id),
                Signature.meaning == meaning,
                Signature.signer_user_id == user_id,
                Signature.invalidated_at.is_(None),
            )
        )
        is not None
    )


def sign_units(
    session: StudySession,
    *,
    units: Sequence[UnitRef],
    meaning: SignatureMeaning,
    password: str,
    username: str | None = None,
    signing_session: str | None = None,
    address: str | None = None,
    policy: SignInPolicy | None = None,
    now: datetime | None = None,
) -> list[Signature]:
    """Sign ``units`` with ``meaning``; all or none. Returns the new signatures.

    ``signing_session`` is the id of the signed-in web or API session the request came in; a
    caller without one (the command line) always gives both user name and password.
    :class:`Refused` names the field: ``units`` (none, or already signed), ``row_id``,
    ``username`` / ``password`` (a wrong one says which of the two is needed, never which was
    wrong), or ``patient`` (the actor holds no signer role for that patient). Each password
    attempt counts against the signer's sign-in throttle (``policy``, the defaults if None; and
    the client ``address`` if given), as a sign-in does: while it is locked, :class:`Throttled`
    (a :class:`Refused` of ``password`` with ``retry_after``) even for the right password.
    ``now`` is the signing time and the throttle's clock (for tests); the clock by default.
    """
    actor = session.actor
    if not units:
        raise Refused("units", "choose at least one record to sign")
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise Refused("username", "only a person with an account signs")
    throttle = _Throttle(policy or SignInPolicy(), address, now)
    _check_credentials(
        session,
        user,
        username=username,
        password=password,
        signing_session=signing_session,
        throttle=throttle,
    )
    signed_at = now or datetime.now(UTC)
    attestation = attestation_text(name=user.full_name, username=user.username, meaning=meaning)
    rows = []
    for ref in dict.fromkeys(units):
        patient = get_patient(session, patient_id=ref.patient_id)
        if not may_sign(session, patient=patient):
            raise Refused("patient", f"{user.username} may not sign for patient {patient.study_id}")
        _check_unit(session, patient, ref)
        if _already_signed(session, ref, meaning, user.id):
            raise Refused("units", f"you have already signed this {ref.unit.value} for {meaning.value}")
        digest = unit_digest(session, patient=patient, unit=ref.unit, row_id=ref.row_id)
        if digest is None:  # the row was checked above; gone only if deleted meanwhile
            raise Refused("row_id", f"patient {patient.study_id} has no {ref.unit.value} {ref.row_id}")
        rows.append(
            Signature(
                patient_id=patient.id,
                site_id=patient.site_id,
                unit=ref.unit,
                row_id=ref.row_id,
                meaning=meaning,
                signer_user_id=user.id,
                signer_username=user.username,
                signer_name=user.full_name,
                signed_at=signed_at,
                attestation=attestation,
                content_digest=digest,
            )
        )
    session.add_all(rows)
    session.flush()
    if signing_session is not None:
        session.connection().execute(
            update(_SESSIONS)
            .where(
                _SESSIONS.c.key_hash == session_key(signing_session), _SESSIONS.c.first_signature_at.is_(None)
            )
            .values(first_signature_at=signed_at)
        )
    return rows


def list_signatures(session: StudySession, *, patient_id: int) -> list[Signature]:
    """Every signature of the patient, oldest first (invalidated ones included)."""
    get_patient(session, patient_id=patient_id)
    return list(
        session.scalars(select(Signature).where(Signature.patient_id == patient_id).order_by(Signature.id))
    )


def first_signature_needs_username(session: StudySession, *, signing_session: str) -> bool:
    """Whether the next signature in this signed-in session is its first (user name and password)."""
    row = (
        session.connection()
        .execute(
            select(_SESSIONS.c.first_signature_at).where(_SESSIONS.c.key_hash == session_key(signing_session))
        )
        .first()
    )
    return row is None or row.first_signature_at is None


def signatures_to_renew(session: StudySession, *, site_code: str | None = None) -> list[Signature]:
    """Invalidated signatures not yet signed again (same unit, meaning and signer), oldest first.

    Site roles see their sites' only; ``site_code`` narrows to one site (:class:`NotFound` if unknown).
    """
    renewed = aliased(Signature)
    statement = (
        select(Signature)
        .where(
            Signature.invalidated_at.is_not(None),
            ~exists().where(
                renewed.patient_id == Signature.patient_id,
                renewed.unit == Signature.unit,
                renewed.row_id.is_not_distinct_from(Signature.row_id),
                renewed.meaning == Signature.meaning,
                renewed.signer_user_id == Signature.signer_user_id,
                renewed.id > Signature.id,
            ),
        )
        .order_by(Signature.id)
    )
    if site_code is not None:
        statement = statement.where(Signature.site_id == site_by_code(session, code=site_code).id)
    return list(session.scalars(statement))


def signing_list(
    session: StudySession, *, patient_id: int | None = None, limit: int = 500
) -> list[RequiredSignatureStatus]:
    """The required signatures the actor may give that are not valid (unsigned or invalidated), by patient.

    Only patients the actor may sign for (their protocols name one of the actor's roles at the
    patient's site); with ``patient_id``, that patient's only.
    """
    statement = select(Patient).join(Enrollment, Enrollment.patient_id == Patient.id).distinct()
    if patient_id is not None:
        statement = statement.where(Patient.id == get_patient(session, patient_id=patient_id).id)
    found: list[RequiredSignatureStatus] = []
    for patient in session.scalars(statement.order_by(Patient.study_id)):
        if not may_sign(session, patient=patient):
            continue
        found.extend(
            s for s in required_signatures(session, patient=patient) if s.state is not SignatureState.VALID
        )
        if len(found) >= limit:
            break
    return found[:limit]
