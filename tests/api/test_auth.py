"""Signing in, bearer tokens and the settings that hold the signing secret."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from remission.api.app import API_PREFIX
from remission.api.settings import MIN_SECRET_LENGTH, Settings
from remission.api.tokens import issue_token
from remission.errors import InputError
from remission.store import start_session
from remission.store.models import User
from remission.store.vocabulary import Role

from .helpers import Api, Principal, problems

TOKEN_URL = f"{API_PREFIX}/auth/token"
PROTECTED = f"{API_PREFIX}/patients"
INVESTIGATOR = Principal(Role.INVESTIGATOR, "SEV")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestSignIn:
    def test_right_password_gets_an_expiring_bearer_token(self, api: Api):
        """The right password gets a bearer token that opens the API and expires after the set minutes."""
        answer = api.sign_in(INVESTIGATOR)
        assert answer.status_code == 200
        body = answer.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 30 * 60
        claims = jwt.decode(body["access_token"], api.settings.secret_key, algorithms=["HS256"])
        assert claims["exp"] - claims["iat"] == 30 * 60
        assert api.client.get(PROTECTED, headers=bearer(body["access_token"])).status_code == 200

    def test_wrong_password_is_401(self, api: Api):
        """A wrong password gets 401 with a Bearer challenge and no token."""
        answer = api.sign_in(INVESTIGATOR, password="correct-horse-battery-stapl")
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == "Bearer"
        assert "access_token" not in answer.json()

    def test_unknown_user_is_401(self, api: Api):
        """An unknown username gets the same 401 as a wrong password."""
        answer = api.client.post(TOKEN_URL, data={"username": "nobody", "password": "whatever-password"})
        assert answer.status_code == 401
        assert problems(answer) == {"authorization": "wrong username or password"}

    def test_deactivated_user_cannot_sign_in_and_their_token_stops_working(self, api: Api):
        """A user made inactive cannot sign in, and a token issued before is refused."""
        headers = api.headers(INVESTIGATOR)
        with api.store.session(api.system, reason="left the study") as session:
            session.get(User, api.user_id(INVESTIGATOR)).active = False
        assert api.client.get(PROTECTED, headers=headers).status_code == 401
        assert api.sign_in(INVESTIGATOR).status_code == 401


class TestBearerToken:
    def test_missing_token_is_401(self, api: Api):
        """A request without a token gets 401 with a Bearer challenge."""
        answer = api.client.get(PROTECTED)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == "Bearer"

    def test_garbage_token_is_401(self, api: Api):
        """A malformed or non-bearer Authorization header gets 401."""
        garbage = [
            "Bearer not-a-token",
            "Bearer ",
            "Basic dXNlcjpwYXNz",
            "Bearer a.b.c",
            "bearer",
            "Bearer " + "x" * 5000,
        ]
        answers = {
            value: api.client.get(PROTECTED, headers={"Authorization": value}).status_code
            for value in garbage
        }
        assert answers == dict.fromkeys(garbage, 401)

    def test_expired_token_is_401(self, api: Api):
        """A token whose expiry has passed gets 401, though the user and the secret are right."""
        user_id = api.user_id(INVESTIGATOR)
        hour = timedelta(hours=1)
        session_id = start_session(api.store, user_id=user_id, kind="api", idle=hour, lifetime=hour)
        expired = issue_token(user_id, session_id, secret=api.settings.secret_key, minutes=-1)
        fresh = issue_token(user_id, session_id, secret=api.settings.secret_key, minutes=1)
        assert api.client.get(PROTECTED, headers=bearer(expired)).status_code == 401
        assert api.client.get(PROTECTED, headers=bearer(fresh)).status_code == 200

    def test_token_signed_with_another_secret_is_401(self, api: Api):
        """A well-formed token signed with a different secret gets 401."""
        hour = timedelta(hours=1)
        user_id = api.user_id(INVESTIGATOR)
        session_id = start_session(api.store, user_id=user_id, kind="api", idle=hour, lifetime=hour)
        token = issue_token(user_id, session_id, secret=secrets.token_urlsafe(36), minutes=5)
        assert api.client.get(PROTECTED, headers=bearer(token)).status_code == 401

    def test_token_without_a_session_is_401(self, api: Api):
        """A correctly signed, unexpired token whose session id names no stored session gets 401."""
        token = issue_token(
            api.user_id(INVESTIGATOR), secrets.token_urlsafe(32), secret=api.settings.secret_key, minutes=5
        )
        assert api.client.get(PROTECTED, headers=bearer(token)).status_code == 401

    def test_another_users_session_is_401(self, api: Api):
        """A token naming one user with another user's live session id gets 401."""
        hour = timedelta(hours=1)
        other = api.user_id(Principal(Role.COORDINATOR, "SNU"))
        session_id = start_session(api.store, user_id=other, kind="api", idle=hour, lifetime=hour)
        token = issue_token(api.user_id(INVESTIGATOR), session_id, secret=api.settings.secret_key, minutes=5)
        assert api.client.get(PROTECTED, headers=bearer(token)).status_code == 401

    def test_token_without_expiry_is_401(self, api: Api):
        """A token made without an ``exp`` claim is refused even with the right secret."""
        token = jwt.encode(
            {"sub": str(api.user_id(INVESTIGATOR))}, api.settings.secret_key, algorithm="HS256"
        )
        assert api.client.get(PROTECTED, headers=bearer(token)).status_code == 401

    def test_unsigned_token_is_401(self, api: Api):
        """A token with ``alg: none`` is refused."""
        claims = {
            "sub": str(api.user_id(INVESTIGATOR)),
            "exp": datetime.now(UTC) + timedelta(minutes=5),
        }
        token = jwt.encode(claims, None, algorithm="none")
        assert api.client.get(PROTECTED, headers=bearer(token)).status_code == 401

    def test_token_for_no_user_is_401(self, api: Api):
        """A correctly signed token naming no user (or no number) gets 401."""
        expires = datetime.now(UTC) + timedelta(minutes=5)
        subjects = ["999999", "not-a-number", "", "-1"]
        answers = {
            subject: api.client.get(
                PROTECTED,
                headers=bearer(jwt.encode({"sub": subject, "exp": expires}, api.settings.secret_key)),
            ).status_code
            for subject in subjects
        }
        assert answers == dict.fromkeys(subjects, 401)


class TestSettings:
    @pytest.mark.parametrize("secret", ["", "changeme", "CHANGEME", "secret", "dev", "development"])
    def test_production_refuses_placeholder_secrets(self, monkeypatch: pytest.MonkeyPatch, secret: str):
        """Outside development a missing or placeholder secret key stops the settings."""
        monkeypatch.setenv("REMISSION_ENV", "production")
        monkeypatch.setenv("REMISSION_SECRET_KEY", secret)
        with pytest.raises(InputError) as raised:
            Settings.from_environment()
        assert raised.value.problems[0].field == "REMISSION_SECRET_KEY"

    def test_production_refuses_a_short_secret(self, monkeypatch: pytest.MonkeyPatch):
        """Outside development a secret one character shorter than the minimum is refused."""
        monkeypatch.setenv("REMISSION_ENV", "production")
        monkeypatch.setenv("REMISSION_SECRET_KEY", "k" * (MIN_SECRET_LENGTH - 1))
        with pytest.raises(InputError):
            Settings.from_environment()

    def test_production_keeps_a_long_random_secret(self, monkeypatch: pytest.MonkeyPatch):
        """Outside development a random secret of the minimum length or more is used as given."""
        secret = secrets.token_urlsafe(MIN_SECRET_LENGTH)
        monkeypatch.setenv("REMISSION_ENV", "production")
        monkeypatch.setenv("REMISSION_SECRET_KEY", secret)
        monkeypatch.setenv("REMISSION_TOKEN_MINUTES", "15")
        settings = Settings.from_environment()
        assert (settings.environment, settings.secret_key, settings.token_minutes) == (
            "production",
            secret,
            15,
        )

    @pytest.mark.parametrize(
        "secret",
        ["a" * 32, "a" * 64, "abcdefghijklmnopqrstuvwxyz012345", "remission-production-secret-key-2024!"],
    )
    def test_production_refuses_a_long_but_guessable_secret(
        self, monkeypatch: pytest.MonkeyPatch, secret: str
    ):
        """Outside development a secret long enough but without entropy (32 × ``a``, a sequence,
        words) is refused with a message naming the setting and how to generate one, not the secret."""
        monkeypatch.setenv("REMISSION_ENV", "production")
        monkeypatch.setenv("REMISSION_SECRET_KEY", secret)
        with pytest.raises(InputError) as raised:
            Settings.from_environment()
        problem = raised.value.problems[0]
        assert problem.field == "REMISSION_SECRET_KEY"
        assert "secrets.token_urlsafe(32)" in problem.problem
        assert "bits" in problem.problem
        assert secret not in problem.problem

    def test_production_accepts_token_urlsafe_32(self, monkeypatch: pytest.MonkeyPatch):
        """``secrets.token_urlsafe(32)``, the generator the message names, is accepted."""
        monkeypatch.setenv("REMISSION_ENV", "production")
        for _ in range(10):
            secret = secrets.token_urlsafe(32)
            monkeypatch.setenv("REMISSION_SECRET_KEY", secret)
            assert Settings.from_environment().secret_key == secret

    def test_password_policy_settings(self, monkeypatch: pytest.MonkeyPatch):
        """The password policy's minimum length and zxcvbn score come from the environment."""
        monkeypatch.setenv("REMISSION_ENV", "development")
        monkeypatch.setenv("REMISSION_PASSWORD_MIN_LENGTH", "16")
        monkeypatch.setenv("REMISSION_PASSWORD_MIN_SCORE", "4")
        policy = Settings.from_environment().password_policy
        assert (policy.min_length, policy.min_score) == (16, 4)

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("REMISSION_PASSWORD_MIN_LENGTH", "6"),
            ("REMISSION_PASSWORD_MIN_LENGTH", "long"),
            ("REMISSION_PASSWORD_MIN_SCORE", "5"),
            ("REMISSION_PASSWORD_MIN_SCORE", "-1"),
        ],
    )
    def test_bad_password_policy_settings_are_refused(
        self, monkeypatch: pytest.MonkeyPatch, name: str, value: str
    ):
        """A minimum length under 8 or a score outside 0–4 stops the settings, naming the variable."""
        monkeypatch.setenv("REMISSION_ENV", "development")
        monkeypatch.setenv(name, value)
        with pytest.raises(InputError) as raised:
            Settings.from_environment()
        assert raised.value.problems[0].field == name

    def test_development_makes_a_random_secret(self, monkeypatch: pytest.MonkeyPatch):
        """In development without a secret key each process gets a fresh random one of a safe length."""
        monkeypatch.delenv("REMISSION_ENV", raising=False)
        monkeypatch.delenv("REMISSION_SECRET_KEY", raising=False)
        monkeypatch.delenv("REMISSION_TOKEN_MINUTES", raising=False)
        first, second = Settings.from_environment(), Settings.from_environment()
        assert first.environment == "development"
        assert len(first.secret_key) >= MIN_SECRET_LENGTH
        assert first.secret_key != second.secret_key
        assert first.token_minutes == 30

    @pytest.mark.parametrize("minutes", ["0", "-5", "ten", "1.5"])
    def test_token_minutes_must_be_a_positive_whole_number(
        self, monkeypatch: pytest.MonkeyPatch, minutes: str
    ):
        """A token lifetime that is not a whole number of minutes, 1 or more, is refused."""
        monkeypatch.setenv("REMISSION_ENV", "development")
        monkeypatch.setenv("REMISSION_TOKEN_MINUTES", minutes)
        with pytest.raises(InputError):
            Settings.from_environment()
