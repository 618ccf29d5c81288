"""Site isolation as a property of the session, not of each query or route.

Every SELECT issued through a :class:`StudySession` gets criteria that keep out
rows of sites the actor may not read (and identifiers of sites the actor holds no
site role at); every flush checks that the actor may write what it writes. A
route cannot forget these, because it never sees an unscoped session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import false, inspect
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from remission.store.actor import AccessDenied, Actor
from remission.store.base import Identifying, PatientOwned, SiteScoped
from remission.store.consent_models import ConsentFormVersion
from remission.store.lock_models import DataLock
from remission.store.lock_rules import check_lock_write
from remission.store.models import Patient, RoleAssignment, Site, User
from remission.store.notification_models import Notification, OutboxMessage, UserOwned
from remission.store.query_models import DataQuery, QueryMessage
from remission.store.sdv_models import SourceVerification
from remission.store.sdv_resets import check_mark_write
from remission.store.signature_models import Signature
from remission.store.signature_rules import check_signature_write
from remission.store.vocabulary import Role


def session_actor(session: Session) -> Actor:
    """The actor a session acts for; a study session without one is refused."""
    actor = session.info.get("actor")
    if not isinstance(actor, Actor):
        raise AccessDenied("a study session needs an actor")
    return actor


def _criteria(allowed: frozenset[int] | None) -> Any:
    if allowed is None:
        return None
    sites = tuple(sorted(allowed))
    if not sites:
        return lambda cls: false()
    return lambda cls: cls.site_id.in_(sites)


def scope_reads(state: ORMExecuteState) -> None:
    """``do_orm_execute`` hook: keep out rows the actor may not read.

    Bulk INSERT, UPDATE and DELETE statements are refused: they would bypass the
    write checks and the audit trail, which act on flushed objects.
    """
    if not state.is_select:
        raise AccessDenied("bulk statements are not allowed in a study session; change rows as objects")
    actor = session_actor(state.session)
    options = []
    readable = _criteria(actor.readable_sites)
    if readable is not None:
        options.append(with_loader_criteria(SiteScoped, readable, include_aliases=True))
    identifying = _criteria(actor.identifier_sites)
    if identifying is not None:
        options.append(with_loader_criteria(Identifying, identifying, include_aliases=True))
    options.extend(_own_rows_only(actor))
    if options:
        state.statement = state.statement.options(*options)


def _own_rows_only(actor: Actor) -> list[Any]:
    """A user reads only their own notifications, preferences and address; the outbox is the
    system's (the worker's) alone."""
    if actor.system:
        return []
    user_id = actor.user_id if actor.user_id is not None else -1
    return [
        with_loader_criteria(UserOwned, lambda cls: cls.user_id == user_id, include_aliases=True),
        with_loader_criteria(OutboxMessage, false(), include_aliases=True),
    ]


def _own_password_only(session: Session, actor: Actor, obj: object) -> bool:
    """True when ``obj`` is the actor's own user row and only its password changes (anyone may
    change their own password; :func:`remission.store.change_own_password` checks the old one)."""
    if not isinstance(obj, User) or obj.id is None or obj.id != actor.user_id or obj not in session.dirty:
        return False
    state = inspect(obj)
    changed = {attr.key for attr in state.mapper.column_attrs if state.attrs[attr.key].history.has_changes()}
    return changed <= {"password_hash", "version"}


def _may_write_queries(actor: Actor, site_id: int) -> bool:
    """Query rows may be written by the patient's site staff, a data manager or a monitor; which
    step each may take is checked by :mod:`remission.store.queries`."""
    writable = actor.writable_sites
    return writable is None or site_id in writable or Role.MONITOR in actor.study_roles


def _check_query_write(session: Session, actor: Actor, obj: DataQuery | QueryMessage) -> None:
    if obj in session.deleted:
        raise AccessDenied("data queries and their messages are never deleted")
    if isinstance(obj, QueryMessage) and obj in session.dirty:
        raise AccessDenied("a data query's messages are never changed")
    if not _may_write_queries(actor, obj.site_id):
        raise AccessDenied(f"{actor.username} may not write data queries of site {obj.site_id}")


def _check_own_row(session: Session, actor: Actor, obj: UserOwned | OutboxMessage) -> None:
    """Notifications and e-mails are written by the store's own hooks for anyone an event concerns;
    a user writes only their own rows (marks read, sets preferences and address), the worker the
    outbox, and nobody deletes a notification or an e-mail."""
    delivered = isinstance(obj, Notification | OutboxMessage)
    if actor.system or (delivered and obj in session.new):
        return
    if delivered and obj in session.deleted:
        raise AccessDenied("notifications and their e-mails are never deleted")
    if isinstance(obj, OutboxMessage) or obj.user_id != actor.user_id:
        raise AccessDenied(f"{actor.username} may change only their own notifications and preferences")


def _check_query_row(session: Session, actor: Actor, obj: DataQuery | QueryMessage) -> None:
    _check_query_write(session, actor, obj)
    _check_patient_site(session, obj)


def _check_signature_row(session: Session, actor: Actor, obj: Signature) -> None:
    """Who may sign a patient's records is the protocol's (:func:`remission.store.sign_units` checks
    it); here: only in one's own name, never changed but invalidated, at a site the actor reads."""
    check_signature_write(session, actor, obj)
    readable = actor.readable_sites
    if readable is not None and obj.site_id not in readable:
        raise AccessDenied(f"{actor.username} may not sign records of site {obj.site_id}")
    _check_patient_site(session, obj)


def _check_consent_version(session: Session, actor: Actor, obj: ConsentFormVersion) -> None:
    if not (actor.system or actor.study_roles & {Role.ADMIN, Role.DATA_MANAGER}) or obj in session.deleted:
        raise AccessDenied(f"{actor.username} may not change consent form versions")


def _check_mark_row(session: Session, actor: Actor, obj: SourceVerification) -> None:
    check_mark_write(session, actor, obj)
    _check_patient_site(session, obj)


#: Rows with rules of their own instead of the clinical rows' site-writer rule: each rule raises
#: :class:`AccessDenied` for a write the actor may not make.
_OWN_RULES: tuple[tuple[Any, Callable[[Session, Actor, Any], None]], ...] = (
    (UserOwned | OutboxMessage, _check_own_row),
    (DataQuery | QueryMessage, _check_query_row),
    (DataLock, check_lock_write),
    (Signature, _check_signature_row),
    (ConsentFormVersion, _check_consent_version),
    (SourceVerification, _check_mark_row),
)


def _check_write(session: Session, actor: Actor, obj: object) -> None:
    for kind, rule in _OWN_RULES:
        if isinstance(obj, kind):
            rule(session, actor, obj)
            return
    if isinstance(obj, Site | User | RoleAssignment):
        if not actor.manages_accounts and not _own_password_only(session, actor, obj):
            raise AccessDenied(f"{actor.username} may not change sites, users or roles")
        return
    if not isinstance(obj, SiteScoped):
        return
    writable = actor.writable_sites
    if writable is not None and obj.site_id not in writable:
        raise AccessDenied(f"{actor.username} may not write records of site {obj.site_id}")
    if isinstance(obj, PatientOwned):
        _check_patient_site(session, obj)


def _check_patient_site(session: Session, obj: PatientOwned) -> None:
    with session.no_autoflush:
        patient = session.get(Patient, obj.patient_id)
    if patient is None or patient.site_id != obj.site_id:
        raise AccessDenied("a patient's record must belong to the patient's site")


def check_writes(session: Session, flush_context: Any, instances: Any) -> None:
    """``before_flush`` hook: refuse writes the actor may not make."""
    actor = session_actor(session)
    for obj in [*session.new, *session.dirty, *session.deleted]:
        _check_write(session, actor, obj)
