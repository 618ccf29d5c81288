"""Idempotency keys: a POST repeated with the same ``Idempotency-Key`` is answered, not redone."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.errors import Refused
from remission.store.models import IdempotencyKey
from remission.store.session import StudySession

MAX_KEY_LENGTH = 200


def request_fingerprint(method: str, path: str, body: Any) -> str:
    text = json.dumps([method, path, jsonable_encoder(body)], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stored(session: StudySession, actor: Actor, key: str, fingerprint: str) -> JSONResponse | None:
    row = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == actor.user_id, IdempotencyKey.key == key)
    )
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise Refused("Idempotency-Key", "this key was used for a different request")
    return JSONResponse(
        status_code=row.status_code, content=row.response, headers={"Idempotent-Replayed": "true"}
    )


def run_post(
    store: Store,
    actor: Actor,
    *,
    key: str | None,
    fingerprint: str,
    work: Callable[[StudySession], Any],
    status_code: int = 201,
) -> JSONResponse:
    """Do ``work`` in one transaction and answer with its result.

    With a key, the answer is stored in the same transaction; a repeat of the same
    request gets the stored answer, and a concurrent duplicate loses the race on the
    key's unique constraint and then reads the winner's answer.
    """
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise Refused("Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} characters")
    try:
        with store.session(actor) as session:
            if key is not None and (replay := _stored(session, actor, key, fingerprint)) is not None:
                return replay
            content = jsonable_encoder(work(session))
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
        return JSONResponse(status_code=status_code, content=content)
    except IntegrityError:
        if key is None:
            raise
        with store.session(actor) as session:
            replay = _stored(session, actor, key, fingerprint)
        if replay is None:
            raise
        return replay
