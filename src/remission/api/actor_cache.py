"""A short-lived per-process cache of the actor behind a token.

Every API request resolves its bearer token to an actor (the user and their role
assignments). Without the cache that costs a transaction of its own per request. With it,
a user's deactivation or a changed role assignment takes effect after at most ``ttl``
seconds in each worker process (``REMISSION_ACTOR_CACHE_SECONDS``; 0 turns it off).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from remission.store import Actor

#: The most users a worker keeps; beyond it the oldest entries go first.
MAX_ENTRIES = 10_000


class ActorCache:
    """Actors by user id, each kept for ``ttl`` seconds after it was read from the store."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[int, tuple[float, Actor]] = {}
        self._lock = threading.Lock()

    def get(self, user_id: int, load: Callable[[int], Actor | None]) -> Actor | None:
        """The cached actor of ``user_id`` while fresh, else ``load(user_id)`` (cached if not None)."""
        if self.ttl <= 0:
            return load(user_id)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(user_id)
        if entry is not None and now < entry[0]:
            return entry[1]
        actor = load(user_id)
        with self._lock:
            if actor is None:
                self._entries.pop(user_id, None)
            else:
                if len(self._entries) >= MAX_ENTRIES:
                    del self._entries[next(iter(self._entries))]
                self._entries[user_id] = (now + self.ttl, actor)
        return actor
