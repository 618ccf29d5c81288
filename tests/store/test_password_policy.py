"""The password policy and the secret-strength estimate: what is refused, and that no message repeats it."""

from __future__ import annotations

import secrets

import pytest

from remission.store import (
    DEFAULT_PASSWORD_POLICY,
    MIN_SECRET_BITS,
    PasswordPolicy,
    Refused,
    check_password,
    estimated_bits,
    password_problem,
    secret_problem,
)


class TestPasswordPolicy:
    @pytest.mark.parametrize("password", ["short-one", "a" * 11])
    def test_a_short_password_is_refused_by_length(self, password: str):
        """A password under the minimum length is refused, naming the minimum."""
        assert (
            password_problem(password, policy=DEFAULT_PASSWORD_POLICY)
            == "a password needs at least 12 characters"
        )

    @pytest.mark.parametrize("password", ["password1234", "qwertyuiop123", "PASSWORD1234", "1234567890123"])
    def test_common_or_guessable_passwords_are_refused(self, password: str):
        """Passwords from the common list, keyboard rows and digit runs are refused."""
        problem = password_problem(password, policy=DEFAULT_PASSWORD_POLICY)
        assert problem is not None
        assert password.lower() not in problem.lower()

    def test_a_password_on_the_common_list_is_refused_as_common(self):
        """A password from zxcvbn's list of common passwords is refused as common, ignoring case."""
        assert "most common passwords" in (
            password_problem("LeaveMeAlone", policy=PasswordPolicy(min_score=0)) or ""
        )

    def test_a_password_made_of_the_username_is_refused(self):
        """The username and full name count as known words: the username as password is refused,
        though it passes for another user."""
        policy = DEFAULT_PASSWORD_POLICY
        assert password_problem("marguerite.okafor", policy=policy) is None
        problem = password_problem(
            "marguerite.okafor", policy=policy, user_inputs=("marguerite.okafor", "Marguerite Okafor")
        )
        assert problem is not None
        assert "too easy to guess" in problem

    @pytest.mark.parametrize(
        "password", ["correct-horse-battery-staple", "remission-demo", "plinth gravel mango sofa"]
    )
    def test_a_passphrase_is_accepted(self, password: str):
        """Unrelated words of enough length pass the default policy."""
        assert password_problem(password, policy=DEFAULT_PASSWORD_POLICY) is None

    def test_the_score_threshold_is_a_setting(self):
        """A password refused at score 3 passes when the policy asks for less."""
        weak = "sunflower-1987"
        assert password_problem(weak, policy=PasswordPolicy(min_score=4)) is not None
        assert password_problem(weak, policy=PasswordPolicy(min_score=0)) is None

    def test_a_very_long_password_is_scored_without_error(self):
        """zxcvbn takes 72 characters at most; a longer password is scored by its start."""
        assert password_problem(secrets.token_urlsafe(100)[:150], policy=DEFAULT_PASSWORD_POLICY) is None

    def test_check_password_raises_refused_on_the_password_field(self):
        """The store's check raises Refused naming the field ``password``."""
        with pytest.raises(Refused) as raised:
            check_password("aaaaaaaaaaaaaaaa", policy=DEFAULT_PASSWORD_POLICY)
        assert raised.value.field == "password"
        assert "aaaa" not in raised.value.problem.replace('"aaa"', "")


class TestSecretStrength:
    @pytest.mark.parametrize(
        "secret",
        [
            "a" * 32,
            "a" * 64,
            "abcdefghijklmnopqrstuvwxyz012345",
            "remission-production-secret-key-2024!",
            "ab" * 32,
        ],
    )
    def test_long_but_guessable_secrets_are_refused(self, secret: str):
        """Length alone does not pass: repeats, sequences and words estimate far below the minimum."""
        problem = secret_problem(secret)
        assert problem is not None
        assert secret not in problem
        assert "token_urlsafe(32)" in problem

    def test_random_secrets_pass(self):
        """``secrets.token_urlsafe(32)`` and ``token_hex(32)`` estimate at or above the minimum."""
        for _ in range(20):
            assert secret_problem(secrets.token_urlsafe(32)) is None
            assert secret_problem(secrets.token_hex(32)) is None

    def test_thirty_two_a_has_no_entropy(self):
        """32 × ``a`` estimates at zero bits."""
        assert estimated_bits("a" * 32) == 0
        assert estimated_bits("") == 0
        assert MIN_SECRET_BITS == 128
