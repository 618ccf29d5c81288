"""The study session: the only kind of session the store hands out.

Defining the class here, together with its event hooks, means a StudySession cannot
exist without site scoping on every read, write and length checks before every flush (and the
removal of a missing-data code whose item is given a value), and the
audit trail and the revocation of changed accounts' sessions after every flush, and the calendar
entries of the patients a transaction changed rewritten before it commits, and the notifications
of the events it holds written before it commits — no import order can leave one out.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from remission.store.actor import Actor
from remission.store.audit import audit_flush
from remission.store.calendar_hooks import note_changes, refresh_noted
from remission.store.consent_versions import check_consent_rows
from remission.store.lengths import check_lengths
from remission.store.lock_rules import refuse_locked_writes
from remission.store.missing_data_items import drop_superseded_codes
from remission.store.notification_hooks import deliver_noted, forget_events, note_events
from remission.store.scoping import check_writes, scope_reads, session_actor
from remission.store.sdv_resets import reset_changed_marks
from remission.store.session_revocation import revoke_on_account_change
from remission.store.signature_hooks import invalidate_changed, note_signed_changes


class StudySession(Session):
    """A session that always acts for an :class:`Actor` (``session.info["actor"]``)."""

    @property
    def actor(self) -> Actor:
        return session_actor(self)


event.listen(StudySession, "do_orm_execute", scope_reads)
# First, so that the codes it removes are checked, length-checked and audited with the write.
event.listen(StudySession, "before_flush", drop_superseded_codes)
# Before the write check too: a changed value resets its SDV marks in the same flush, audited.
event.listen(StudySession, "before_flush", reset_changed_marks)
event.listen(StudySession, "before_flush", check_writes)
event.listen(StudySession, "before_flush", refuse_locked_writes)
event.listen(StudySession, "before_flush", check_lengths)
event.listen(StudySession, "before_flush", check_consent_rows)
event.listen(StudySession, "after_flush", audit_flush)
event.listen(StudySession, "after_flush", revoke_on_account_change)
event.listen(StudySession, "after_flush", note_changes)
event.listen(StudySession, "after_flush", note_signed_changes)
event.listen(StudySession, "after_flush", note_events)
event.listen(StudySession, "before_commit", refresh_noted)
event.listen(StudySession, "before_commit", invalidate_changed)
event.listen(StudySession, "before_commit", deliver_noted)
event.listen(StudySession, "after_rollback", forget_events)
