"""Sign-in throttling per account and per client address, and the dummy hash for unknown users."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import inspect
from tests.store.helpers import PASSWORD, World

from remission.store import SignInPolicy, SignInResult, sign_in
from remission.store import accounts as accounts_module
from remission.store.migrations_api import alembic_config, current_revision, head_revision, upgrade
from remission.store.models import SignInThrottle
from remission.store.passwords import dummy_hash
from remission.store.vocabulary import Role

POLICY = SignInPolicy(
    free_attempts=3,
    free_attempts_per_address=5,
    base_delay_seconds=10,
    max_lockout_seconds=60,
    forget_after_seconds=3600,
)
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def username(world: World) -> str:
    """The username of an investigator at SEV, whose password is :data:`PASSWORD`."""
    return world.actor(Role.INVESTIGATOR, "SEV").username


def attempt(
    world: World, clock: Clock, username: str, password: str = "wrong password!", address: str = "10.0.0.1"
) -> SignInResult:
    return sign_in(
        world.store, username=username, password=password, address=address, policy=POLICY, now=clock
    )


class TestAccountThrottle:
    def test_free_attempts_then_throttled_with_the_wait(self, world: World, clock: Clock, username: str):
        """After the free wrong passwords the account is locked for the base delay, even to the right one."""
        for _ in range(POLICY.free_attempts):
            result = attempt(world, clock, username)
            assert (result.actor, result.throttled) == (None, False)
        throttled = attempt(world, clock, username, PASSWORD)
        assert throttled.actor is None
        assert throttled.retry_after == 10

    def test_throttled_from_another_address_too(self, world: World, clock: Clock, username: str):
        """An account locked by failures from one address is locked from any other address."""
        for _ in range(POLICY.free_attempts):
            attempt(world, clock, username, address="10.0.0.1")
        assert attempt(world, clock, username, PASSWORD, address="192.0.2.7").retry_after == 10

    def test_unknown_usernames_are_throttled_alike(self, world: World, clock: Clock):
        """An unknown username locks after as many failures as a real one, so the lock tells nothing."""
        for _ in range(POLICY.free_attempts):
            assert not attempt(world, clock, "nobody-here").throttled
        assert attempt(world, clock, "nobody-here").retry_after == 10

    def test_lockout_doubles_and_is_capped(self, world: World, clock: Clock, username: str):
        """Each failure after the lock expires doubles the wait, up to the maximum lockout."""
        waits = []
        for _ in range(POLICY.free_attempts - 1):
            attempt(world, clock, username)
        for _ in range(5):
            attempt(world, clock, username)
            waits.append(attempt(world, clock, username).retry_after)
            clock.advance(waits[-1])
        assert waits == [10, 20, 40, 60, 60]

    def test_lockout_expires(self, world: World, clock: Clock, username: str):
        """When the lock's time has passed, the right password signs in again."""
        for _ in range(POLICY.free_attempts):
            attempt(world, clock, username)
        clock.advance(9)
        assert attempt(world, clock, username, PASSWORD).retry_after == 1
        clock.advance(1)
        assert attempt(world, clock, username, PASSWORD).actor is not None

    def test_success_resets_the_account(self, world: World, clock: Clock, username: str):
        """A successful sign-in clears the account's failures: the free attempts are free again."""
        for _ in range(POLICY.free_attempts - 1):
            attempt(world, clock, username)
        assert attempt(world, clock, username, PASSWORD).actor is not None
        for _ in range(POLICY.free_attempts - 1):
            attempt(world, clock, username)
        assert not attempt(world, clock, username, PASSWORD).throttled

    def test_quiet_counter_is_forgotten(self, world: World, clock: Clock, username: str):
        """Failures older than the forget period no longer count towards a lock."""
        for _ in range(POLICY.free_attempts - 1):
            attempt(world, clock, username)
        clock.advance(POLICY.forget_after_seconds)
        attempt(world, clock, username)
        assert not attempt(world, clock, username, PASSWORD).throttled


class TestAddressThrottle:
    def test_one_address_is_throttled_across_usernames(self, world: World, clock: Clock, username: str):
        """Failures spread over many usernames from one address lock that address, for every username."""
        for number in range(POLICY.free_attempts_per_address):
            assert not attempt(world, clock, f"guess-{number}").throttled
        assert attempt(world, clock, username, PASSWORD).retry_after == 10
        assert attempt(world, clock, username, PASSWORD, address="10.0.0.2").actor is not None

    def test_success_does_not_reset_the_address(self, world: World, clock: Clock, username: str):
        """Signing in to one's own account does not buy an address more guesses at others."""
        for number in range(POLICY.free_attempts_per_address - 1):
            attempt(world, clock, f"guess-{number}")
        assert attempt(world, clock, username, PASSWORD).actor is not None
        attempt(world, clock, "guess-last")
        assert attempt(world, clock, "guess-after").retry_after == 10


class TestNoPasswordCheckWhileThrottled:
    def test_throttled_attempt_does_not_verify(
        self, world: World, clock: Clock, username: str, monkeypatch: pytest.MonkeyPatch
    ):
        """While locked, no password is verified: Argon2 is never called."""
        for _ in range(POLICY.free_attempts):
            attempt(world, clock, username)
        calls: list[str] = []
        real = accounts_module.verify_password

        def spy(stored: str, password: str) -> bool:
            calls.append(password)
            return real(stored, password)

        monkeypatch.setattr(accounts_module, "verify_password", spy)
        assert attempt(world, clock, username, PASSWORD).throttled
        assert calls == []
        clock.advance(10)
        assert attempt(world, clock, username, PASSWORD).actor is not None
        assert calls == [PASSWORD]

    def test_parallel_attempts_cannot_slip_under_the_limit(self, world: World, clock: Clock, username: str):
        """Twelve simultaneous wrong passwords: only the free attempts are checked, the rest are throttled."""
        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(lambda _: attempt(world, clock, username), range(12)))
        assert sum(not result.throttled for result in results) == POLICY.free_attempts

    def test_counters_are_stored_hashed(self, world: World, clock: Clock, username: str):
        """The table holds one row per account and address, keyed by a hash, not the username or address."""
        attempt(world, clock, username, address="10.0.0.9")
        with world.session(world.system) as session:
            rows = session.query(SignInThrottle).all()
        assert sorted(row.kind for row in rows) == ["account", "address"]
        assert all(
            len(row.key) == 64 and username not in row.key and "10.0.0.9" not in row.key for row in rows
        )
        assert all(row.failures == 1 for row in rows)


class TestDummyHash:
    def verified_hashes(self, world: World, username: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
        hashes: list[str] = []
        real = accounts_module.verify_password

        def spy(stored: str, password: str) -> bool:
            hashes.append(stored)
            return real(stored, password)

        monkeypatch.setattr(accounts_module, "verify_password", spy)
        with world.session(world.system) as session:
            assert accounts_module.authenticate(session, username=username, password=PASSWORD) is None
        return hashes

    def test_unknown_username_verifies_the_dummy_hash(self, world: World, monkeypatch: pytest.MonkeyPatch):
        """An unknown username costs one Argon2 verification, against the dummy hash."""
        assert self.verified_hashes(world, "nobody-here", monkeypatch) == [dummy_hash()]

    def test_inactive_user_verifies_the_dummy_hash(
        self, world: World, username: str, monkeypatch: pytest.MonkeyPatch
    ):
        """A deactivated account is checked against the dummy hash too, never its own."""
        with world.session(world.system, reason="left the study") as session:
            user = session.query(accounts_module.User).filter_by(username=username).one()
            user.active = False
        assert self.verified_hashes(world, username, monkeypatch) == [dummy_hash()]

    def test_dummy_hash_is_an_argon2_hash_made_once(self):
        """The dummy hash is an Argon2id hash (the same work as a real one) and the same each time."""
        assert dummy_hash().startswith("$argon2id$")
        assert dummy_hash() is dummy_hash()


class TestMigration0005:
    def test_downgrade_drops_and_upgrade_restores_the_table(self, world: World, clock: Clock, username: str):
        """Migration 0005 adds ``sign_in_throttle`` and its downgrade removes it, on both back ends."""
        config = alembic_config(world.store.engine)
        with world.store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        assert "sign_in_throttle" not in inspect(world.store.engine).get_table_names()
        upgrade(world.store.engine)
        assert current_revision(world.store.engine) == head_revision(world.store.engine)
        assert not attempt(world, clock, username).throttled
