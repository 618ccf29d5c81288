"""The token endpoint under sign-in throttling: 429 with ``Retry-After``, per account and per address."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from remission.api.app import API_PREFIX
from remission.api.settings import SIGN_IN_DEFAULTS, Settings
from remission.errors import InputError
from remission.store import SignInPolicy
from remission.store.vocabulary import Role

from .helpers import PASSWORD, Api, Principal, problems

TOKEN_URL = f"{API_PREFIX}/auth/token"
INVESTIGATOR = Principal(Role.INVESTIGATOR, "SEV")


def wrong(client: TestClient, username: str) -> int:
    answer = client.post(TOKEN_URL, data={"username": username, "password": "not the password"})
    return answer.status_code


class TestTokenThrottle:
    def test_wrong_passwords_then_429_with_retry_after(self, api: Api):
        """After the free wrong passwords even the right one gets 429 with Retry-After and no token."""
        api.user_id(INVESTIGATOR)
        statuses = [wrong(api.client, INVESTIGATOR.username) for _ in range(SIGN_IN_DEFAULTS.free_attempts)]
        assert statuses == [401] * SIGN_IN_DEFAULTS.free_attempts
        answer = api.sign_in(INVESTIGATOR)
        assert answer.status_code == 429
        # The seconds left of the delay: the whole delay less what passed since the last failure.
        assert 1 <= int(answer.headers["Retry-After"]) <= SIGN_IN_DEFAULTS.base_delay_seconds
        assert "access_token" not in answer.json()
        assert "try again in" in problems(answer)["(sign-in)"]

    def test_locked_account_is_429_from_another_address(self, api: Api):
        """The account's lock holds for a client at another address."""
        api.user_id(INVESTIGATOR)
        for _ in range(SIGN_IN_DEFAULTS.free_attempts):
            wrong(api.client, INVESTIGATOR.username)
        with TestClient(api.client.app, client=("192.0.2.7", 50000)) as elsewhere:
            answer = elsewhere.post(TOKEN_URL, data={"username": INVESTIGATOR.username, "password": PASSWORD})
        assert answer.status_code == 429
        assert int(answer.headers["Retry-After"]) >= 1

    def test_one_address_guessing_many_usernames_is_429(self, api: Api):
        """Wrong sign-ins spread over usernames lock the address, and only that address."""
        api.user_id(INVESTIGATOR)
        for number in range(SIGN_IN_DEFAULTS.free_attempts_per_address):
            assert wrong(api.client, f"guess-{number}") == 401
        assert api.sign_in(INVESTIGATOR).status_code == 429
        with TestClient(api.client.app, client=("192.0.2.8", 50000)) as elsewhere:
            answer = elsewhere.post(TOKEN_URL, data={"username": INVESTIGATOR.username, "password": PASSWORD})
        assert answer.status_code == 200

    def test_success_resets_the_account(self, api: Api):
        """A right password before the limit clears the count, so as many wrong ones are free again."""
        api.user_id(INVESTIGATOR)
        for _ in range(2):
            for _ in range(SIGN_IN_DEFAULTS.free_attempts - 1):
                assert wrong(api.client, INVESTIGATOR.username) == 401
            assert api.sign_in(INVESTIGATOR).status_code == 200


class TestThrottleSettings:
    def test_environment_sets_every_parameter(self, monkeypatch: pytest.MonkeyPatch):
        """Each REMISSION_SIGN_IN_* variable sets its parameter of the policy."""
        values = {
            "FREE_ATTEMPTS": "3",
            "FREE_ATTEMPTS_PER_ADDRESS": "50",
            "BASE_DELAY_SECONDS": "4",
            "MAX_LOCKOUT_SECONDS": "3600",
            "FORGET_SECONDS": "600",
        }
        for name, value in values.items():
            monkeypatch.setenv(f"REMISSION_SIGN_IN_{name}", value)
        assert Settings.from_environment().sign_in == SignInPolicy(
            free_attempts=3,
            free_attempts_per_address=50,
            base_delay_seconds=4,
            max_lockout_seconds=3600,
            forget_after_seconds=600,
        )

    def test_defaults_without_the_environment(self, monkeypatch: pytest.MonkeyPatch):
        """Without the variables the policy is the documented default (5, 20, 2 s, 900 s, a day)."""
        names = ("FREE_ATTEMPTS", "FREE_ATTEMPTS_PER_ADDRESS", "BASE_DELAY_SECONDS", "MAX_LOCKOUT_SECONDS")
        for name in (*names, "FORGET_SECONDS"):
            monkeypatch.delenv(f"REMISSION_SIGN_IN_{name}", raising=False)
        assert Settings.from_environment().sign_in == SignInPolicy(5, 20, 2, 900, 86_400)

    @pytest.mark.parametrize("value", ["0", "-1", "five", "2.5"])
    def test_a_bad_value_is_refused_by_name(self, monkeypatch: pytest.MonkeyPatch, value: str):
        """A value that is not a whole number of 1 or more is refused, naming the variable."""
        monkeypatch.setenv("REMISSION_SIGN_IN_MAX_LOCKOUT_SECONDS", value)
        with pytest.raises(InputError) as raised:
            Settings.from_environment()
        assert raised.value.problems[0].field == "REMISSION_SIGN_IN_MAX_LOCKOUT_SECONDS"
