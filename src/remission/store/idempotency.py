"""Idempotency keys: a write repeated with the same key is answered from the first, not redone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.errors import Conflict, Refused
from remission.store.models import IdempotencyKey
from remission.store.session import StudySession

MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class IdempotentAnswer:
    """The answer to a keyed write: its status and JSON content, and whether it was replayed."""

    status_code: int
    content: Any
    replayed: bool = False


def _stored(session: StudySession, actor: Actor, key: str, fingerprint: str) -> IdempotentAnswer | None:
    row = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == actor.user_id, IdempotencyKey.key == key)
    )
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise Refused("Idempotency-Key", "this key was used for a different request")
    return IdempotentAnswer(row.status_code, row.response, replayed=True)


def run_idempotent(
    store: Store,
    *,
    actor: Actor,
    key: str | None,
    fingerprint: str,
    work: Callable[[StudySession], Any],
    status_code: int = 201,
) -> IdempotentAnswer:
    """Do ``work`` (returning JSON-ready content) in one transaction and answer with its result.

    With a key, the answer is stored in the same transaction; a repeat of the same request
    (same ``fingerprint``) gets the stored answer, and a concurrent duplicate loses the race on
    the key's unique constraint and then reads the winner's answer.
    """
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise Refused("Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} characters")
    try:
        with store.session(actor) as session:
            if key is not None and (replay := _stored(session, actor, key, fingerprint)) is not None:
                return replay
            content = work(session)
            if key is not None:
                session.add(
                    IdempotencyKey(
                        user_id=actor.user_id,
                        key=key,
                        request_hash=fingerprint,
                        status_code=status_code,
                        response=content,
                        created_at=datetime.now(UTC),
                    )
                )
        return IdempotentAnswer(status_code, content)
    except Conflict:
        if key is None:
            raise
        with store.session(actor) as session:
            replay = _stored(session, actor, key, fingerprint)
        if replay is None:
            raise
        return replay
