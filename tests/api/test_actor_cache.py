"""The per-process actor cache: reused while fresh, re-read after its time, off at 0 seconds."""

from __future__ import annotations

import pytest

from remission.api.actor_cache import ActorCache
from remission.api.settings import Settings
from remission.errors import InputError
from remission.store.actor import Actor


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Loader:
    """Counts reads of the store and answers with whatever the account currently is."""

    def __init__(self) -> None:
        self.reads = 0
        self.actor: Actor | None = Actor.for_system("someone")

    def __call__(self, key: str) -> Actor | None:
        self.reads += 1
        return self.actor


class TestActorCache:
    def test_fresh_entry_is_reused(self):
        """Within the time to live the store is read once."""
        clock, loader = Clock(), Loader()
        cache = ActorCache(2.0, clock)
        first = cache.get("s7", loader)
        clock.now += 1.9
        assert cache.get("s7", loader) is first
        assert loader.reads == 1

    def test_deactivation_takes_effect_after_the_time_to_live(self):
        """After its time to live the account is read again, and a deactivated account is refused."""
        clock, loader = Clock(), Loader()
        cache = ActorCache(2.0, clock)
        assert cache.get("s7", loader) is not None
        loader.actor = None
        clock.now += 2.0
        assert cache.get("s7", loader) is None
        assert cache.get("s7", loader) is None
        assert loader.reads == 3

    def test_zero_seconds_reads_every_time(self):
        """With a time to live of 0 every request reads the account."""
        loader = Loader()
        cache = ActorCache(0, Clock())
        for _ in range(3):
            cache.get("s7", loader)
        assert loader.reads == 3

    def test_sessions_are_cached_separately(self):
        """Two sessions never share an entry."""
        loader = Loader()
        cache = ActorCache(2.0, Clock())
        cache.get("s1", loader)
        cache.get("s2", loader)
        assert loader.reads == 2


class TestActorCacheSetting:
    def test_default_is_two_seconds(self, monkeypatch: pytest.MonkeyPatch):
        """Without the variable a worker reuses an account for 2 seconds."""
        monkeypatch.delenv("REMISSION_ACTOR_CACHE_SECONDS", raising=False)
        monkeypatch.setenv("REMISSION_ENV", "development")
        assert Settings.from_environment().actor_cache_seconds == 2

    @pytest.mark.parametrize("value", ["-1", "soon", "1.5", ""])
    def test_bad_value_is_refused(self, monkeypatch: pytest.MonkeyPatch, value: str):
        """A value that is not a whole number of seconds, 0 or more, is refused."""
        monkeypatch.setenv("REMISSION_ENV", "development")
        monkeypatch.setenv("REMISSION_ACTOR_CACHE_SECONDS", value)
        with pytest.raises(InputError):
            Settings.from_environment()
