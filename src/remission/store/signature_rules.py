"""Who may write a signature row, and what may change in one (§11.70: a signature cannot be excised,
copied or transferred). Called for every flush from :mod:`remission.store.scoping`.

A new signature is the actor's own (made by :func:`remission.store.sign_units`); a stored one is
never deleted, and the only change is its invalidation, made once by the store when the content it
signed changes.
"""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from remission.store.actor import AccessDenied, Actor
from remission.store.signature_models import Signature

_INVALIDATION = frozenset({"invalidated_at", "invalidated_because", "version"})


def check_signature_write(session: Session, actor: Actor, obj: Signature) -> None:
    if obj in session.deleted:
        raise AccessDenied("an electronic signature is never deleted")
    if obj in session.new:
        if not actor.system and obj.signer_user_id != actor.user_id:
            raise AccessDenied("a person signs only in their own name")
        return
    state = inspect(obj)
    changed = {a.key for a in state.mapper.column_attrs if state.attrs[a.key].history.has_changes()}
    was_valid = (
        not state.attrs.invalidated_at.history.deleted
        or state.attrs.invalidated_at.history.deleted[0] is None
    )
    if not changed <= _INVALIDATION or not was_valid:
        raise AccessDenied("a signature is never changed; only the store marks it invalidated, once")
