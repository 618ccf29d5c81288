"""Where notification e-mail goes: the SMTP server and the outbox worker's timing, from the environment.

| variable | development default | meaning |
|---|---|---|
| ``REMISSION_SMTP_HOST`` | ``127.0.0.1`` | the SMTP server (required outside development) |
| ``REMISSION_SMTP_PORT`` | 1025 (``none``), 587 (``starttls``), 465 (``ssl``) | its port |
| ``REMISSION_SMTP_FROM`` | ``remission@localhost`` | the sender address (required outside development) |
| ``REMISSION_SMTP_TLS`` | ``none`` | ``starttls``, ``ssl`` or ``none`` (refused outside development) |
| ``REMISSION_SMTP_USER`` | — | user name for SMTP AUTH, if the server asks for it |
| ``REMISSION_SMTP_PASSWORD`` / ``…_PASSWORD_FILE`` | — | its password; needed with a user, never defaulted |
| ``REMISSION_SMTP_TIMEOUT_SECONDS`` | 30 | the socket timeout of one SMTP exchange |
| ``REMISSION_NOTIFY_LEASE_SECONDS`` | 300 | how long a claimed message is the claiming worker's |
| ``REMISSION_NOTIFY_MAX_ATTEMPTS`` | 8 | attempts before a message is given up (``failed``) |
| ``REMISSION_NOTIFY_POLL_SECONDS`` | 10 | the worker's pause between cycles |
| ``REMISSION_PUBLIC_URL`` | ``http://127.0.0.1:8000`` | the web app's address, for links in e-mail |

Outside development (``REMISSION_ENV`` other than ``development`` or ``test``) nothing that
matters is defaulted: the host and sender must be set, TLS must be on, and a user needs a password
that is not a placeholder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from remission.errors import FieldProblem, InputError
from remission.store.audit_keys import DEVELOPMENT_ENVIRONMENTS, environment_name

TLS_MODES = ("starttls", "ssl", "none")
_DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 1025}
#: Passwords that are someone's example, not a secret.
_PLACEHOLDERS = frozenset({"changeme", "change-me", "password", "secret", "dev", "development"})


def _refuse(variable: str, problem: str) -> InputError:
    return InputError(variable, [FieldProblem(variable, problem)])


def _whole(env: Mapping[str, str], variable: str, default: int, *, least: int) -> int:
    text = env.get(variable, "").strip() or str(default)
    if not text.isdigit() or int(text) < least:
        raise _refuse(variable, f"a whole number, {least} or more")
    return int(text)


@dataclass(frozen=True, slots=True)
class MailSettings:
    """The SMTP server and the worker's timing (see the module's table)."""

    host: str
    port: int
    sender: str
    tls: str = "none"
    user: str | None = None
    password: str | None = None
    timeout_seconds: int = 30
    lease_seconds: int = 300
    max_attempts: int = 8
    poll_seconds: float = 10.0
    base_url: str = "http://127.0.0.1:8000"

    def __repr__(self) -> str:  # never print the password
        return f"MailSettings(host={self.host!r}, port={self.port}, sender={self.sender!r}, tls={self.tls!r})"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> MailSettings:
        """The settings the environment gives; :class:`InputError` naming the variable at fault."""
        env = environ if environ is not None else os.environ
        development = environment_name(env) in DEVELOPMENT_ENVIRONMENTS
        tls = env.get("REMISSION_SMTP_TLS", "").strip().lower() or ("none" if development else "starttls")
        if tls not in TLS_MODES:
            raise _refuse("REMISSION_SMTP_TLS", f"one of {', '.join(TLS_MODES)}")
        if tls == "none" and not development:
            raise _refuse(
                "REMISSION_SMTP_TLS", "outside development e-mail goes over TLS: use starttls or ssl"
            )
        host = env.get("REMISSION_SMTP_HOST", "").strip() or ("127.0.0.1" if development else "")
        sender = env.get("REMISSION_SMTP_FROM", "").strip() or ("remission@localhost" if development else "")
        for variable, value in (("REMISSION_SMTP_HOST", host), ("REMISSION_SMTP_FROM", sender)):
            if not value:
                raise _refuse(variable, "required outside development")
        if any(c in sender for c in "\r\n") or "@" not in sender:
            raise _refuse("REMISSION_SMTP_FROM", "an e-mail address such as trial@hospital.example")
        user = env.get("REMISSION_SMTP_USER", "").strip() or None
        password = _password(env)
        if user and not password:
            raise _refuse("REMISSION_SMTP_PASSWORD", f"REMISSION_SMTP_USER {user!r} needs a password")
        if password and password.lower() in _PLACEHOLDERS and not development:
            raise _refuse("REMISSION_SMTP_PASSWORD", "a placeholder, not a password")
        poll = env.get("REMISSION_NOTIFY_POLL_SECONDS", "").strip() or "10"
        try:
            poll_seconds = float(poll)
        except ValueError:
            poll_seconds = -1.0
        if not 0 < poll_seconds <= 3600:
            raise _refuse("REMISSION_NOTIFY_POLL_SECONDS", "a number of seconds above 0, at most 3600")
        timeout = _whole(env, "REMISSION_SMTP_TIMEOUT_SECONDS", 30, least=1)
        lease = _whole(env, "REMISSION_NOTIFY_LEASE_SECONDS", 300, least=1)
        if lease <= timeout:
            # A claim must outlast the exchange it covers, or a second worker could send it too.
            raise _refuse(
                "REMISSION_NOTIFY_LEASE_SECONDS",
                f"longer than REMISSION_SMTP_TIMEOUT_SECONDS ({timeout}); a claim must outlast a send",
            )
        return cls(
            host=host,
            port=_whole(env, "REMISSION_SMTP_PORT", _DEFAULT_PORTS[tls], least=1),
            sender=sender,
            tls=tls,
            user=user,
            password=password,
            timeout_seconds=timeout,
            lease_seconds=lease,
            max_attempts=_whole(env, "REMISSION_NOTIFY_MAX_ATTEMPTS", 8, least=1),
            poll_seconds=poll_seconds,
            base_url=(env.get("REMISSION_PUBLIC_URL", "").strip() or "http://127.0.0.1:8000").rstrip("/"),
        )


def _password(env: Mapping[str, str]) -> str | None:
    path = env.get("REMISSION_SMTP_PASSWORD_FILE", "").strip()
    if path:
        try:
            return Path(path).read_text("utf-8").strip() or None
        except (OSError, UnicodeDecodeError) as error:
            raise _refuse("REMISSION_SMTP_PASSWORD_FILE", f"cannot read {path}: {error}") from None
    return env.get("REMISSION_SMTP_PASSWORD") or None
