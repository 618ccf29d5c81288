"""Freezing and locking a form, a patient's casebook, a site or the whole study, and releasing them.

A data manager or an admin freezes data (values refuse changes; queries, signatures and source
verification go on) and locks it (every change refused); a freeze is released by either with a
reason, a lock only by an admin with a reason (:mod:`remission.store.lock_rules` holds the roles
and refuses the writes, for every caller). Locking a casebook needs every signature its protocols
require to be valid (:mod:`remission.store.signature_status`), unless an override reason is given.
Every step is audited; a lock row is never deleted.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import or_, select

from remission.store.actor import AccessDenied
from remission.store.course_kinds import BASELINE_FORM, COURSE_KINDS
from remission.store.errors import NotFound, Refused
from remission.store.lock_models import DataLock, LockLevel, LockState
from remission.store.lock_rules import active_locks, covering, may_release_locks, may_set_locks
from remission.store.models import Patient, Site
from remission.store.patients import get_patient
from remission.store.session import StudySession
from remission.store.signature_status import SignatureState, required_signatures
from remission.store.versioning import require_version

_FORMS = frozenset({BASELINE_FORM, *(kind.segment for kind in COURSE_KINDS)})


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _target(
    session: StudySession,
    level: LockLevel,
    *,
    site_code: str | None,
    patient_id: int | None,
    form: str | None,
    row_id: int | None,
) -> tuple[int | None, Patient | None]:
    """The site and patient of a lock's target, checked against its level."""
    not_taken: dict[LockLevel, dict[str, object]] = {
        LockLevel.STUDY: {"site": site_code, "patient_id": patient_id, "form": form},
        LockLevel.SITE: {"patient_id": patient_id, "form": form},
        LockLevel.CASEBOOK: {"form": form},
        LockLevel.FORM: {},
    }
    for field, value in not_taken[level].items():
        if value is not None:
            raise Refused(field, f"a {level.value} lock takes no {field}")
    if level is LockLevel.STUDY:
        return None, None
    if level is LockLevel.SITE:
        if site_code is None:
            raise Refused("site", "name the site to freeze or lock")
        site = session.scalar(select(Site).where(Site.code == site_code))
        if site is None:
            raise Refused("site", f"there is no site {site_code!r}")
        return site.id, None
    if patient_id is None:
        raise Refused("patient_id", f"a {level.value} lock needs the patient")
    patient = get_patient(session, patient_id=patient_id)
    if level is LockLevel.FORM:
        if form not in _FORMS:
            raise Refused("form", f"{form!r} is not a form ({', '.join(sorted(_FORMS))})")
        if (form == BASELINE_FORM) != (row_id is None):
            raise Refused("row_id", "the baseline form takes no row; any other form names its row")
    return patient.site_id, patient


def _missing_signatures(session: StudySession, patient: Patient) -> list[str]:
    return [
        f"{status.label} ({status.meaning.value}: {status.state.value})"
        for status in required_signatures(session, patient=patient)
        if status.state is not SignatureState.VALID
    ]


def set_lock(
    session: StudySession,
    *,
    level: LockLevel,
    state: LockState,
    site_code: str | None = None,
    patient_id: int | None = None,
    form: str | None = None,
    row_id: int | None = None,
    reason: str | None = None,
    override_reason: str | None = None,
    now: datetime | None = None,
) -> DataLock:
    """Freeze or lock one target; an active freeze of the same target becomes a lock (and back, by an admin).

    The target: the whole study; a site (``site_code``); a patient's casebook (``patient_id``); one
    form of the patient (``form``, a course-kind segment with its ``row_id``, or ``baseline``).
    :class:`Refused` names the field: the target's (``site``, ``patient_id``, ``form``, ``row_id``),
    ``state`` (the target already has it), or ``signatures`` (a casebook lock with required
    signatures not valid and no ``override_reason``).
    """
    site, patient = _target(
        session, level, site_code=site_code, patient_id=patient_id, form=form, row_id=row_id
    )
    if not may_set_locks(session.actor):
        raise AccessDenied(
            f"{session.actor.username} may not freeze or lock data (a data manager or admin does)"
        )
    same = _active_on(session, level, site, patient, form, row_id)
    if same is not None and same.state is state:
        raise Refused("state", f"this {level.value} is already {state.value}")
    override = _text(override_reason)
    if level is LockLevel.CASEBOOK and state is LockState.LOCKED and patient is not None:
        missing = _missing_signatures(session, patient)
        if missing and override is None:
            raise Refused(
                "signatures",
                "the casebook needs these signatures valid before it is locked: "
                + "; ".join(missing)
                + " (or lock it with an override reason)",
            )
    moment = now or datetime.now(UTC)
    if same is not None:
        _release(session, same, reason=f"{same.state.value} → {state.value}", now=moment)
    lock = DataLock(
        level=level,
        state=state,
        site_id=site,
        patient_id=patient.id if patient is not None else None,
        form=form if level is LockLevel.FORM else None,
        row_id=row_id if level is LockLevel.FORM else None,
        reason=_text(reason),
        override_reason=override,
        set_by=session.actor.username,
        set_at=moment,
    )
    session.add(lock)
    session.flush()
    return lock


def _active_on(
    session: StudySession,
    level: LockLevel,
    site: int | None,
    patient: Patient | None,
    form: str | None,
    row_id: int | None,
) -> DataLock | None:
    statement = select(DataLock).where(DataLock.released_at.is_(None), DataLock.level == level)
    if level is LockLevel.SITE:
        statement = statement.where(DataLock.site_id == site)
    if patient is not None:
        statement = statement.where(DataLock.patient_id == patient.id)
    if level is LockLevel.FORM:
        statement = statement.where(
            DataLock.form == form, DataLock.row_id.is_(None) if row_id is None else DataLock.row_id == row_id
        )
    return session.scalar(statement)


def _release(session: StudySession, lock: DataLock, *, reason: str, now: datetime) -> None:
    lock.released_at = now
    lock.released_by = session.actor.username
    lock.release_reason = reason
    session.flush()


def release_lock(
    session: StudySession, *, lock_id: int, version: int, reason: str, now: datetime | None = None
) -> DataLock:
    """Unfreeze or unlock: a reason is required; only an admin unlocks locked data."""
    lock = get_lock(session, lock_id=lock_id)
    if not may_set_locks(session.actor) or (
        lock.state is LockState.LOCKED and not may_release_locks(session.actor)
    ):
        raise AccessDenied(
            f"{session.actor.username} may not release this {lock.state.value} data"
            " (a data manager or admin unfreezes; only an admin unlocks)"
        )
    require_version(lock, version)
    if lock.released_at is not None:
        raise Refused("lock", "this freeze or lock was already released")
    text = _text(reason)
    if text is None:
        raise Refused("reason", "say why the data is unfrozen or unlocked")
    _release(session, lock, reason=text, now=now or datetime.now(UTC))
    return lock


def _visible(session: StudySession):  # type: ignore[no-untyped-def]
    readable = session.actor.readable_sites
    if readable is None:
        return DataLock.id.is_not(None)
    return or_(DataLock.site_id.is_(None), DataLock.site_id.in_(sorted(readable)))


def get_lock(session: StudySession, *, lock_id: int) -> DataLock:
    """One lock the actor may see (a study lock, or one of a site they read); else :class:`NotFound`."""
    lock = session.scalar(select(DataLock).where(DataLock.id == lock_id, _visible(session)))
    if lock is None:
        raise NotFound("lock", lock_id)
    return lock


def list_locks(
    session: StudySession, *, active_only: bool = True, patient_id: int | None = None
) -> list[DataLock]:
    """Locks the actor may see, newest first: active ones only unless ``active_only`` is False.

    With ``patient_id``, those that cover the patient's data (study, the patient's site, casebook, forms).
    """
    statement = select(DataLock).where(_visible(session)).order_by(DataLock.id.desc())
    if active_only:
        statement = statement.where(DataLock.released_at.is_(None))
    if patient_id is not None:
        patient = get_patient(session, patient_id=patient_id)
        statement = statement.where(
            or_(
                DataLock.level == LockLevel.STUDY,
                (DataLock.level == LockLevel.SITE) & (DataLock.site_id == patient.site_id),
                DataLock.patient_id == patient.id,
            )
        )
    return list(session.scalars(statement))


def lock_on(
    session: StudySession, *, patient: Patient, form: str | None = None, row_id: int | None = None
) -> DataLock | None:
    """The strongest active lock covering a patient's casebook, or one of its forms when ``form`` is given."""
    row = covering(
        active_locks(session), site_id=patient.site_id, patient_id=patient.id, form=form, row_id=row_id
    )
    return session.get(DataLock, row.id) if row is not None else None
