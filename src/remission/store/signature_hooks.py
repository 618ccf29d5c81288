"""The session hooks that invalidate a signature when the content it signed changes (§11.70, §11.10(e)).

After each flush the session notes the patients whose signed content the flushed rows may change
(their row, enrollments, risk assignments, course rows, missing-data codes) and what changed;
before the transaction commits, every valid signature of those patients whose content digest no
longer matches is marked *invalidated — re-signature needed*, with who changed what, in the same
transaction (audited). A signature is never silently valid. Registered in
:mod:`remission.store.session`, so no write path can leave it out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from remission.store.audit import store_reason
from remission.store.course_kinds import row_kind
from remission.store.missing_data_models import MissingDataCode
from remission.store.models import Enrollment, Patient, RiskAssignment
from remission.store.scoping import session_actor
from remission.store.signature_models import Signature
from remission.store.signed_content import CASEBOOK_MODELS, unit_digest

_NOTED = "signed_changes"
#: How many changes an invalidation names before it says "and N more".
_NAMED_CHANGES = 5


#: What a changed row is called in an invalidation's reason, besides the course kinds' titles.
_NAMES = {
    Patient.__tablename__: "baseline record",
    Enrollment.__tablename__: "enrollment",
    RiskAssignment.__tablename__: "risk assignment",
    MissingDataCode.__tablename__: "missing-data code",
}


def _describe(obj: object, session: Session) -> str:
    """One change in words: ``adverse event 12: grade``, ``missing-data code 3 added``."""
    kind = row_kind(obj)
    name = kind.title if kind is not None else _NAMES.get(obj.__tablename__, obj.__tablename__)  # type: ignore[attr-defined]
    what = f"{name} {obj.id}"  # type: ignore[attr-defined]
    if obj in session.deleted:
        return f"{what} deleted"
    if obj in session.new:
        return f"{what} added"
    state = inspect(obj)
    fields = [
        a.key
        for a in state.mapper.column_attrs
        if state.attrs[a.key].history.has_changes() and a.key != "version"
    ]
    return f"{what}: {', '.join(fields) or 'changed'}"


def note_signed_changes(session: Session, flush_context: Any) -> None:
    """``after_flush``: remember, per patient, what the flushed rows changed of signable content."""
    noted: dict[int, list[str]] = session.info.setdefault(_NOTED, {})
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Patient):
            patient_id = obj.id
        elif isinstance(obj, CASEBOOK_MODELS):
            patient_id = obj.patient_id
        else:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        noted.setdefault(patient_id, []).append(_describe(obj, session))


def invalidate_changed(session: Session) -> None:
    """``before_commit``: mark invalidated every valid signature of a noted patient whose content changed."""
    if session.info.get(_NOTED):
        session.flush()  # what the caller left unflushed is noted too
    noted: dict[int, list[str]] = session.info.pop(_NOTED, None) or {}
    if not noted:
        return
    with session.no_autoflush:
        signatures = session.scalars(
            select(Signature).where(Signature.patient_id.in_(noted), Signature.invalidated_at.is_(None))
        ).all()
        if not signatures:
            return
        actor, now = session_actor(session), datetime.now(UTC)
        invalidated: list[Signature] = []
        for signature in signatures:
            patient = session.get(Patient, signature.patient_id)
            if (
                patient is not None
                and unit_digest(session, patient=patient, unit=signature.unit, row_id=signature.row_id)
                == signature.content_digest
            ):
                continue
            changes = noted[signature.patient_id]
            named = "; ".join(changes[:_NAMED_CHANGES])
            more = f"; and {len(changes) - _NAMED_CHANGES} more" if len(changes) > _NAMED_CHANGES else ""
            signature.invalidated_at = now
            signature.invalidated_because = f"the signed content changed ({named}{more}) by {actor.username}"
            invalidated.append(signature)
    with store_reason(session, "the signed content changed: re-signature needed"):
        session.flush()
    _tell_signers(session, invalidated)
    session.info.pop(_NOTED, None)  # the invalidation's own flush changes no signed content


def _tell_signers(session: Session, invalidated: list[Signature]) -> None:
    """Each signer hears, in the same transaction, that their signature needs signing again."""
    # Imported here: the notifications read calendars through modules that import the session class.
    from remission.store.notification_models import NotificationKind
    from remission.store.notifications import notify

    for signature in invalidated:
        notify(
            session,  # type: ignore[arg-type]  # the hook's session is a StudySession
            kind=NotificationKind.SIGNATURE_INVALIDATED,
            summary=f"your {signature.meaning.value} signature of {signature.label} was invalidated",
            recipients=[signature.signer_user_id],
            patient_id=signature.patient_id,
            link=f"/signing?patient_id={signature.patient_id}",
        )
