"""API settings from the environment. Secrets are never defaults outside development."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from remission.errors import FieldProblem, InputError

PLACEHOLDERS = frozenset({"", "changeme", "change-me", "secret", "dev", "development"})
MIN_SECRET_LENGTH = 32
#: How long a worker reuses the account behind a token (see :mod:`remission.api.actor_cache`).
DEFAULT_ACTOR_CACHE_SECONDS = 2


@dataclass(frozen=True, slots=True)
class Settings:
    environment: str
    secret_key: str
    token_minutes: int
    #: Seconds a worker may reuse a token's actor before reading the account again (0: never).
    actor_cache_seconds: float = 0.0

    @classmethod
    def from_environment(cls) -> Settings:
        """Read ``REMISSION_ENV`` (default ``development``), ``REMISSION_SECRET_KEY``,
        ``REMISSION_TOKEN_MINUTES`` and ``REMISSION_ACTOR_CACHE_SECONDS``. Outside development
        a real secret key is required; in development a random one is made per process
        (tokens end with the process)."""
        environment = os.environ.get("REMISSION_ENV", "development")
        secret = os.environ.get("REMISSION_SECRET_KEY", "")
        if environment != "development" and (
            secret.lower() in PLACEHOLDERS or len(secret) < MIN_SECRET_LENGTH
        ):
            raise InputError(
                "REMISSION_SECRET_KEY",
                [
                    FieldProblem(
                        "REMISSION_SECRET_KEY",
                        f"set a random secret of at least {MIN_SECRET_LENGTH} characters outside development",
                    )
                ],
            )
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
        )
