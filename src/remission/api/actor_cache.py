"""A short-lived per-process cache of the actor behind a session.

Every API request resolves its bearer token to an actor (the user and their role
assignments). Without the cache that costs a transaction of its own per request.

The cache cannot outlive a revocation: entries are keyed by the *session* (the stored key of
the token's session id), and the session itself is checked in the database on every request
before the cache is asked (:func:`remission.api.deps.current_actor`). Deactivation and a role
change end the user's sessions, so their tokens are refused at once; the next sign-in is a new
session, a new key, and reads the account afresh. An entry lives ``ttl`` seconds
(``REMISSION_ACTOR_CACHE_SECONDS``; 0 turns the cache off).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from remission.store import Actor

#: The most sessions a worker keeps; beyond it the oldest entries go first.
MAX_ENTRIES = 10_000


class ActorCache:
    """Actors by session key, each kept for ``ttl`` seconds after it was read from the store."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, Actor]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[str], Actor | None]) -> Actor | None:
        """The cached actor of session ``key`` while fresh, else ``load(key)`` (cached if not None)."""
        if self.ttl <= 0:
            return load(key)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and now < entry[0]:
            return entry[1]
        actor = load(key)
        with self._lock:
            if actor is None:
                self._entries.pop(key, None)
            else:
                if len(self._entries) >= MAX_ENTRIES:
                    del self._entries[next(iter(self._entries))]
                self._entries[key] = (now + self.ttl, actor)
        return actor
