"""Idempotency keys: a write repeated with the same key is answered from the first, not redone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from remission.store.actor import Actor
from remission.store.base import SiteScoped
from remission.store.database import Store
from remission.store.errors import Conflict, NotFound, Refused
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
    # The stored answer shows rows of these sites: replay it only to a user who may read them
    # now, by the rule the session's read scoping uses; else it is not found, like those rows.
    readable = actor.readable_sites
    if row.site_ids is not None and readable is not None and not readable.issuperset(row.site_ids):
        raise NotFound("Idempotency-Key", key)
    if row.request_hash != fingerprint:
        raise Refused("Idempotency-Key", "this key was used for a different request")
    return IdempotentAnswer(row.status_code, row.response, replayed=True)


def _work_and_sites(session: StudySession, work: Callable[[StudySession], Any]) -> tuple[Any, list[int]]:
    """``work``'s content, and the sorted ids of the sites whose rows it wrote (all flushed)."""
    sites: set[int] = set()

    def collect(flushing: Session, *_: Any) -> None:
        written = (*flushing.new, *flushing.dirty, *flushing.deleted)
        sites.update(obj.site_id for obj in written if isinstance(obj, SiteScoped))

    event.listen(session, "before_flush", collect)
    try:
        content = work(session)
        session.flush()
    finally:
        event.remove(session, "before_flush", collect)
    return content, sorted(sites)


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

    With a key, the answer is stored in the same transaction, with the sites whose rows the
    work wrote; a repeat of the same request (same ``fingerprint``) gets the stored answer, and
    a concurrent duplicate loses the race on the key's unique constraint and then reads the
    winner's answer. A repeat by a user who may no longer read one of those sites raises
    :class:`NotFound`, as reading the rows themselves would.
    """
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise Refused("Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} characters")
    try:
        with store.session(actor) as session:
            if key is not None and (replay := _stored(session, actor, key, fingerprint)) is not None:
                return replay
            if key is None:
                content = work(session)
            else:
                content, site_ids = _work_and_sites(session, work)
                session.add(
                    IdempotencyKey(
                        user_id=actor.user_id,
                        key=key,
                        request_hash=fingerprint,
                        status_code=status_code,
                        response=content,
                        created_at=datetime.now(UTC),
                        site_ids=site_ids,
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
