"""Idempotency keys over HTTP: a POST repeated with the same ``Idempotency-Key`` is answered, not redone.

The keys live in the store (:func:`remission.store.run_idempotent`); this module fingerprints
the request and turns the store's answer into a response.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from remission.store import Actor, Store, StudySession, run_idempotent


def request_fingerprint(method: str, path: str, body: Any) -> str:
    text = json.dumps([method, path, jsonable_encoder(body)], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_post(
    store: Store,
    actor: Actor,
    *,
    key: str | None,
    fingerprint: str,
    work: Callable[[StudySession], Any],
    status_code: int = 201,
) -> JSONResponse:
    """Do ``work`` in one transaction and answer with its result (stored under ``key`` if given)."""
    answer = run_idempotent(
        store,
        actor=actor,
        key=key,
        fingerprint=fingerprint,
        work=lambda session: jsonable_encoder(work(session)),
        status_code=status_code,
    )
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(status_code=answer.status_code, content=answer.content, headers=headers)
