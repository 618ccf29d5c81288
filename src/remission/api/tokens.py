"""Expiring bearer tokens (HS256 JWT) naming a user and their server-side session.

The token's ``sid`` is the random id of a session row (:func:`remission.store.start_session`);
the API refuses a token whose session has ended or been revoked, so signing out, a password
change, deactivation and a role change stop a token at once although its signature and expiry
are still good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a valid token says: whose it is and which session it belongs to."""

    user_id: int
    session_id: str


def issue_token(user_id: int, session_id: str, *, secret: str, minutes: int) -> str:
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "sid": session_id, "iat": now, "exp": now + timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_token(token: str, *, secret: str) -> TokenClaims | None:
    """The claims of a valid, unexpired token; ``None`` otherwise (the session is checked apart)."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "sid"]}
        )
        session_id = claims["sid"]
        if not isinstance(session_id, str) or not session_id:
            return None
        return TokenClaims(int(claims["sub"]), session_id)
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
