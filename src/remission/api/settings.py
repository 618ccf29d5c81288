"""API settings from the environment. Secrets are never defaults outside development."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from remission.errors import FieldProblem, InputError
from remission.store import (
    DEFAULT_PASSWORD_POLICY,
    MIN_SECRET_BITS,
    PasswordPolicy,
    SignInPolicy,
    secret_problem,
)

PLACEHOLDERS = frozenset({"", "changeme", "change-me", "secret", "dev", "development"})
MIN_SECRET_LENGTH = 32
#: How long a worker reuses the account behind a token (see :mod:`remission.api.actor_cache`).
DEFAULT_ACTOR_CACHE_SECONDS = 2
#: The largest request body accepted (413 above it). The largest body a client needs is a
#: patient with a full baseline record, a few kilobytes; 1 MiB leaves room and bounds the memory
#: each request may take before any route runs.
DEFAULT_MAX_BODY_BYTES = 1_048_576
#: The deepest JSON nesting accepted (422 beyond it). A patient body nests four levels deep; at
#: a few hundred levels serialisers and validators overflow their recursion limits.
DEFAULT_MAX_JSON_DEPTH = 32
#: Sign-in throttling (see ``docs/store.md``, "Sign-in"): failed attempts free per account and per
#: client address, the first lockout, the longest, and how long a quiet counter is remembered.
SIGN_IN_DEFAULTS = SignInPolicy()
#: The shortest password anyone may set, whatever ``REMISSION_PASSWORD_MIN_LENGTH`` says.
LOWEST_PASSWORD_MIN_LENGTH = 8


@dataclass(frozen=True, slots=True)
class Settings:
    environment: str
    secret_key: str
    token_minutes: int
    #: Seconds a worker may reuse a token's actor before reading the account again (0: never).
    actor_cache_seconds: float = 0.0
    #: Bytes a request body may hold; a larger one is answered 413 before any route runs.
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    #: Levels of arrays and objects a JSON body may nest; a deeper one is answered 422.
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH
    #: Back-off and lockout after failed sign-ins, per account and per client address.
    sign_in: SignInPolicy = SIGN_IN_DEFAULTS
    #: What a new password must meet: length and zxcvbn score (``docs/sessions-and-accounts.md``).
    password_policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY

    @classmethod
    def from_environment(cls) -> Settings:
        """Read ``REMISSION_ENV`` (default ``development``), ``REMISSION_SECRET_KEY``,
        ``REMISSION_TOKEN_MINUTES``, ``REMISSION_ACTOR_CACHE_SECONDS``,
        ``REMISSION_MAX_BODY_BYTES`` (default 1 MiB), ``REMISSION_MAX_JSON_DEPTH`` (default
        32), the sign-in throttle's ``REMISSION_SIGN_IN_*`` (:func:`sign_in_policy`) and the
        password policy's ``REMISSION_PASSWORD_*`` (:func:`password_policy`). Outside development
        a random secret key is required (:func:`secret_key_problem`); in development a random
        one is made per process (tokens end with the process)."""
        environment = os.environ.get("REMISSION_ENV", "development")
        secret = os.environ.get("REMISSION_SECRET_KEY", "")
        problem = secret_key_problem(secret) if environment != "development" else None
        if problem is not None:
            raise InputError("REMISSION_SECRET_KEY", [FieldProblem("REMISSION_SECRET_KEY", problem)])
        if not secret:
            secret = secrets.token_urlsafe(48)
        minutes = os.environ.get("REMISSION_TOKEN_MINUTES", "30")
        if not minutes.isdigit() or int(minutes) < 1:
            raise InputError(
                "REMISSION_TOKEN_MINUTES",
                [FieldProblem("REMISSION_TOKEN_MINUTES", "a whole number of minutes, 1 or more")],
            )
        cache = os.environ.get("REMISSION_ACTOR_CACHE_SECONDS", str(DEFAULT_ACTOR_CACHE_SECONDS))
        if not cache.isdigit():
            raise InputError(
                "REMISSION_ACTOR_CACHE_SECONDS",
                [FieldProblem("REMISSION_ACTOR_CACHE_SECONDS", "a whole number of seconds, 0 or more")],
            )
        return cls(
            environment=environment,
            secret_key=secret,
            token_minutes=int(minutes),
            actor_cache_seconds=float(cache),
            max_body_bytes=_positive_whole("REMISSION_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, "bytes"),
            max_json_depth=_positive_whole("REMISSION_MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH, "levels"),
            sign_in=sign_in_policy(),
            password_policy=password_policy(),
        )


def secret_key_problem(secret: str) -> str | None:
    """Why ``secret`` may not sign sessions outside development (``None`` when it may): a
    placeholder, fewer than :data:`MIN_SECRET_LENGTH` characters, or fewer than
    :data:`~remission.store.MIN_SECRET_BITS` estimated bits of entropy (32 × ``a`` is long
    enough and has none). The message never repeats the secret."""
    generate = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    if secret.lower() in PLACEHOLDERS or len(secret) < MIN_SECRET_LENGTH:
        return (
            f"set a random secret of at least {MIN_SECRET_LENGTH} characters outside development; {generate}"
        )
    weak = secret_problem(secret, min_bits=MIN_SECRET_BITS)
    return None if weak is None else f"the secret key is {weak}"


def password_policy() -> PasswordPolicy:
    """The password policy from ``REMISSION_PASSWORD_MIN_LENGTH`` (default 12, at least
    :data:`LOWEST_PASSWORD_MIN_LENGTH`) and ``REMISSION_PASSWORD_MIN_SCORE`` (zxcvbn's score
    0–4 a password needs, default 3)."""
    defaults = DEFAULT_PASSWORD_POLICY
    length = _positive_whole("REMISSION_PASSWORD_MIN_LENGTH", defaults.min_length, "characters")
    if length < LOWEST_PASSWORD_MIN_LENGTH:
        raise InputError(
            "REMISSION_PASSWORD_MIN_LENGTH",
            [
                FieldProblem(
                    "REMISSION_PASSWORD_MIN_LENGTH", f"at least {LOWEST_PASSWORD_MIN_LENGTH} characters"
                )
            ],
        )
    score = os.environ.get("REMISSION_PASSWORD_MIN_SCORE", str(defaults.min_score))
    if score not in {"0", "1", "2", "3", "4"}:
        raise InputError(
            "REMISSION_PASSWORD_MIN_SCORE",
            [FieldProblem("REMISSION_PASSWORD_MIN_SCORE", "a zxcvbn score: 0, 1, 2, 3 or 4")],
        )
    return PasswordPolicy(min_length=length, min_score=int(score))


def sign_in_policy() -> SignInPolicy:
    """The sign-in throttle from ``REMISSION_SIGN_IN_FREE_ATTEMPTS`` (default 5 per account),
    ``REMISSION_SIGN_IN_FREE_ATTEMPTS_PER_ADDRESS`` (20), ``REMISSION_SIGN_IN_BASE_DELAY_SECONDS``
    (2), ``REMISSION_SIGN_IN_MAX_LOCKOUT_SECONDS`` (900) and ``REMISSION_SIGN_IN_FORGET_SECONDS``
    (86400), each a whole number, 1 or more."""
    defaults = SIGN_IN_DEFAULTS
    return SignInPolicy(
        free_attempts=_positive_whole("REMISSION_SIGN_IN_FREE_ATTEMPTS", defaults.free_attempts, "attempts"),
        free_attempts_per_address=_positive_whole(
            "REMISSION_SIGN_IN_FREE_ATTEMPTS_PER_ADDRESS", defaults.free_attempts_per_address, "attempts"
        ),
        base_delay_seconds=_positive_whole(
            "REMISSION_SIGN_IN_BASE_DELAY_SECONDS", int(defaults.base_delay_seconds), "seconds"
        ),
        max_lockout_seconds=_positive_whole(
            "REMISSION_SIGN_IN_MAX_LOCKOUT_SECONDS", int(defaults.max_lockout_seconds), "seconds"
        ),
        forget_after_seconds=_positive_whole(
            "REMISSION_SIGN_IN_FORGET_SECONDS", int(defaults.forget_after_seconds), "seconds"
        ),
    )


def _positive_whole(name: str, default: int, unit: str) -> int:
    """The environment variable ``name`` as a whole number of ``unit``, 1 or more."""
    value = os.environ.get(name, str(default))
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise InputError(name, [FieldProblem(name, f"a whole number of {unit}, 1 or more")])
    return int(value)
