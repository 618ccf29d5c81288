"""The rules of freezes and locks, applied to every flush of a study session.

:func:`refuse_locked_writes` (``before_flush``) refuses any write to a patient's data that an active
lock covers: a value of frozen data, or anything of locked data. Data queries, their messages,
signatures and source-verification marks (annotations on the data, not the data) are still
accepted on frozen data. The calendar's kept entries are derived, not written by anyone, and are
not checked.
:func:`check_lock_write` holds who may set and release locks: a data manager or an admin sets and
releases a freeze and sets a lock; only an admin releases a lock. Both are called from
:mod:`remission.store.session` and :mod:`remission.store.scoping`, so no route can skip them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, inspect, select
from sqlalchemy.orm import Session

from remission.store.actor import AccessDenied, Actor
from remission.store.base import PatientOwned
from remission.store.course_kinds import BASELINE_FORM, row_kind
from remission.store.errors import Locked
from remission.store.lock_models import DataLock, LockLevel, LockState
from remission.store.models import Patient
from remission.store.query_models import DataQuery, QueryMessage
from remission.store.sdv_models import SourceVerification
from remission.store.signature_models import Signature
from remission.store.vocabulary import Role

#: Rows about the data rather than the data: frozen data still takes them, locked data does not.
ANNOTATIONS: tuple[type, ...] = (DataQuery, QueryMessage, Signature, SourceVerification)
#: Roles that freeze, lock and unfreeze; only an admin unlocks.
LOCK_SETTERS = frozenset({Role.DATA_MANAGER, Role.ADMIN})


def may_set_locks(actor: Actor) -> bool:
    return actor.system or bool(actor.study_roles & LOCK_SETTERS)


def may_release_locks(actor: Actor) -> bool:
    return actor.system or Role.ADMIN in actor.study_roles


def _form_of(obj: object) -> tuple[str | None, int | None]:
    if isinstance(obj, Patient):
        return BASELINE_FORM, None
    kind = row_kind(obj)
    return (kind.segment, obj.id) if kind is not None else (None, None)  # type: ignore[attr-defined]


def covering(
    locks: Sequence[Row[Any]], *, site_id: int, patient_id: int, form: str | None, row_id: int | None
) -> Row[Any] | None:
    """The strongest active lock (locked before frozen, wider before narrower) covering one item."""
    found = [
        lock
        for lock in locks
        if lock.level == LockLevel.STUDY
        or (lock.level == LockLevel.SITE and lock.site_id == site_id)
        or (lock.level == LockLevel.CASEBOOK and lock.patient_id == patient_id)
        or (
            lock.level == LockLevel.FORM
            and lock.patient_id == patient_id
            and form is not None
            and lock.form == form
            and lock.row_id == row_id
        )
    ]
    order = [LockLevel.STUDY, LockLevel.SITE, LockLevel.CASEBOOK, LockLevel.FORM]
    found.sort(key=lambda lock: (lock.state != LockState.LOCKED, order.index(LockLevel(lock.level))))
    return found[0] if found else None


def active_locks(session: Session) -> list[Row[Any]]:
    """Every active lock, read past the actor's site scope (the check must see them all)."""
    table = DataLock.__table__
    return list(session.connection().execute(select(table).where(table.c.released_at.is_(None))))


def _what(lock: Row[Any], study_id: str) -> str:
    if lock.level == LockLevel.STUDY:
        return "the study's data"
    if lock.level == LockLevel.SITE:
        return "this site's data"
    if lock.level == LockLevel.CASEBOOK:
        return f"the casebook of {study_id}"
    target = lock.form if lock.row_id is None else f"{lock.form} {lock.row_id}"
    return f"the {target} form of {study_id}"


def locked_problem(lock: Row[Any], study_id: str) -> Locked:
    """The error for a write that ``lock`` refuses, in words: what, since when, by whom, and the way out."""
    frozen = lock.state == LockState.FROZEN
    how = "frozen" if frozen else "locked"
    who = "a data manager or an admin unfreezes it" if frozen else "an admin unlocks it"
    since = lock.set_at.date().isoformat() if lock.set_at else "?"
    reason = f" ({lock.reason})" if lock.reason else ""
    return Locked(
        f"{_what(lock, study_id)} is {how} since {since} by {lock.set_by}{reason}; {who} with a reason",
        frozen=frozen,
    )


def refuse_locked_writes(session: Session, flush_context: Any, instances: Any) -> None:
    """``before_flush`` hook: refuse a change that an active freeze or lock covers."""
    changed = [
        obj
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, Patient | PatientOwned)
        and (obj not in session.dirty or session.is_modified(obj, include_collections=False))
    ]
    if not changed:
        return
    locks = active_locks(session)
    if not locks:
        return
    for obj in changed:
        patient_id = obj.id if isinstance(obj, Patient) else obj.patient_id
        form, row_id = _form_of(obj)
        lock = covering(locks, site_id=obj.site_id, patient_id=patient_id, form=form, row_id=row_id)
        if lock is None or (lock.state == LockState.FROZEN and isinstance(obj, ANNOTATIONS)):
            continue
        with session.no_autoflush:
            patient = session.get(Patient, patient_id)
        raise locked_problem(lock, patient.study_id if patient is not None else str(patient_id))


def check_lock_write(session: Session, actor: Actor, obj: DataLock) -> None:
    """Who may write a lock row: setters set and release freezes and set locks; only an admin unlocks."""
    if obj in session.deleted:
        raise AccessDenied("a freeze or lock is never deleted; release it with a reason")
    if not may_set_locks(actor):
        raise AccessDenied(f"{actor.username} may not freeze or lock data")
    state = inspect(obj)
    was_locked = (state.attrs.state.history.deleted or [obj.state])[0] == LockState.LOCKED
    if obj in session.dirty and obj.released_at is not None and was_locked and not may_release_locks(actor):
        raise AccessDenied(f"{actor.username} may not unlock data; an admin unlocks with a reason")
