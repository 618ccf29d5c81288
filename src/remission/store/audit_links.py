"""The unkeyed links of the audit chain: content digests and link hashes.

An entry's hash is ``sha256(prev_hash ":" seq ":" content_digest)``, where the content digest is
the SHA-256 of the entry's canonical JSON content. Anyone can recompute these — they find an
accidental or clumsy change, and they are what PostgreSQL computes at COMMIT (migration 0003)
without any key. What a database-only attacker cannot recompute is the keyed part:
:mod:`remission.store.audit_keys` and :mod:`remission.store.audit_sealing`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64

#: The columns an entry's content digest covers, in no particular order (the JSON is sorted).
CONTENT_KEYS = (
    "at",
    "user_id",
    "username",
    "action",
    "entity",
    "entity_id",
    "site_id",
    "field",
    "old_value",
    "new_value",
    "reason",
)


def content_of(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The content part of an entry (a row of ``audit_entries`` or an entry about to be written)."""
    return {key: entry[key] for key in CONTENT_KEYS}


def content_digest(content: Mapping[str, Any]) -> str:
    """The SHA-256 of an entry's content (:func:`content_of`) as canonical JSON."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def link_hash(prev_hash: str, seq: int, digest: str) -> str:
    """An entry's hash from the previous hash, its sequence number and its content digest.

    Migration 0003's PostgreSQL trigger computes the same text and digest.
    """
    return hashlib.sha256(f"{prev_hash}:{seq}:{digest}".encode()).hexdigest()


def entry_hash(prev_hash: str, seq: int, content: Mapping[str, Any]) -> str:
    """The hash an entry with this content must carry at ``seq`` after ``prev_hash``."""
    return link_hash(prev_hash, seq, content_digest(content))


def utc_stamp() -> str:
    """Now, in UTC, as ISO 8601 text of one fixed width (so text order is time order)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
