"""Browser sessions: a signed, expiring token in an HttpOnly cookie, and CSRF tokens bound to it.

The session cookie holds an HS256 JWT whose audience is :data:`AUDIENCE`, so the API (which
reads bearer tokens without an audience) never accepts it, and an API token is never a
session. The token names the user, the random id of a server-side session
(:func:`remission.store.start_session`) and when the session started. Every page checks that
the session is still live in the database, so signing out, a password change, deactivation
and a role change end it at once, whatever the cookie says. It expires
``Settings.token_minutes`` after the last page that refreshed it (an idle timeout, kept in the
database too), and never later than :data:`MAX_SESSION` after sign-in.

Every form that POSTs carries a CSRF token: an HMAC of the session id under the secret key
(the synchronizer-token pattern without server state). The sign-in form, which has no session
yet, binds its token to a random pre-session cookie instead. Cookies are ``HttpOnly`` and
``SameSite=Lax``, and ``Secure`` outside development.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from fastapi import Request, Response

from remission.api.settings import Settings
from remission.store import Store, start_session

SESSION_COOKIE = "remission_session"
SIGN_IN_COOKIE = "remission_sign_in"
AUDIENCE = "remission-web"
#: The longest a session lasts from sign-in, however active it is.
MAX_SESSION = timedelta(hours=12)
#: A page request refreshes the cookie when the token is older than this.
REFRESH_AFTER = timedelta(minutes=1)
_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class WebSession:
    """What a valid session cookie says: who, which session, and its times (UTC)."""

    user_id: int
    session_id: str
    started: datetime
    issued: datetime


def issue_session_token(
    user_id: int,
    *,
    settings: Settings,
    session_id: str | None = None,
    started: datetime | None = None,
    now: datetime | None = None,
) -> str:
    """A signed session token expiring ``settings.token_minutes`` from ``now`` (capped by MAX_SESSION)."""
    now = now or datetime.now(UTC)
    started = started or now
    expires = min(now + timedelta(minutes=settings.token_minutes), started + MAX_SESSION)
    claims = {
        "sub": str(user_id),
        "aud": AUDIENCE,
        "sid": session_id or secrets.token_urlsafe(24),
        "auth_time": int(started.timestamp()),
        "iat": now,
        "exp": expires,
    }
    return jwt.encode(claims, settings.secret_key, algorithm=_ALGORITHM)


def start_web_session(store: Store, user_id: int, *, settings: Settings) -> str:
    """Start a server-side web session for ``user_id``; the signed token for its cookie."""
    now = datetime.now(UTC)
    session_id = start_session(
        store,
        user_id=user_id,
        kind="web",
        idle=timedelta(minutes=settings.token_minutes),
        lifetime=MAX_SESSION,
        now=lambda: now,
    )
    return issue_session_token(user_id, settings=settings, session_id=session_id, started=now, now=now)


def read_session_token(token: str, *, settings: Settings) -> WebSession | None:
    """The session of a valid, unexpired token of this application; ``None`` otherwise."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[_ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["exp", "sub", "sid", "auth_time", "iat"]},
        )
        return WebSession(
            user_id=int(claims["sub"]),
            session_id=str(claims["sid"]),
            started=datetime.fromtimestamp(int(claims["auth_time"]), UTC),
            issued=datetime.fromtimestamp(int(claims["iat"]), UTC),
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def csrf_token(secret: str, nonce: str) -> str:
    """The CSRF token of a session (or pre-session) id: HMAC-SHA256 under the secret key, hex."""
    return hmac.new(secret.encode("utf-8"), f"csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


def csrf_matches(secret: str, nonce: str | None, given: str | None) -> bool:
    """True when ``given`` is the CSRF token of ``nonce`` (constant-time comparison)."""
    if not nonce or not given:
        return False
    return hmac.compare_digest(csrf_token(secret, nonce), given)


def needs_refresh(session: WebSession, *, now: datetime | None = None) -> bool:
    """True when the token is old enough to reissue and the session may still be extended."""
    now = now or datetime.now(UTC)
    return now - session.issued >= REFRESH_AFTER and now < session.started + MAX_SESSION


def _secure(settings: Settings) -> bool:
    return settings.environment != "development"


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    """Store the session token: HttpOnly, SameSite=Lax, Secure outside development."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.token_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=_secure(settings),
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(settings))


def sign_in_nonce(request: Request) -> tuple[str, bool]:
    """The pre-session nonce of the sign-in form, and whether it is new (to be set as a cookie)."""
    nonce = request.cookies.get(SIGN_IN_COOKIE)
    if nonce and 16 <= len(nonce) <= 64:
        return nonce, False
    return secrets.token_urlsafe(24), True


def set_sign_in_cookie(response: Response, nonce: str, settings: Settings) -> None:
    response.set_cookie(
        SIGN_IN_COOKIE, nonce, max_age=3600, httponly=True, samesite="lax", secure=_secure(settings), path="/"
    )


def clear_sign_in_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(SIGN_IN_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(settings))


def safe_next(target: str | None) -> str:
    """A local path to go to after sign-in; anything else (another host, a scheme) goes home."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
