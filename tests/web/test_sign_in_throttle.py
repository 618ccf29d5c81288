"""The sign-in page under throttling: 429 with ``Retry-After`` and a message saying how long to wait."""

from __future__ import annotations

from fastapi.testclient import TestClient

from remission.api.settings import SIGN_IN_DEFAULTS
from remission.web.auth import SESSION_COOKIE

from .support import sign_in


class TestSignInThrottle:
    def test_locked_account_gets_a_readable_429(self, client: TestClient) -> None:
        """After the free wrong passwords the page answers 429, says how long to wait, and sets no session."""
        for _ in range(SIGN_IN_DEFAULTS.free_attempts):
            assert sign_in(client, "coordinator-sev", "not-the-password").status_code == 401
        answer = sign_in(client, "coordinator-sev")
        assert answer.status_code == 429
        # The seconds left of the delay: the whole delay less what passed since the last failure.
        wait = int(answer.headers["Retry-After"])
        assert 1 <= wait <= SIGN_IN_DEFAULTS.base_delay_seconds
        plural = "s" if wait != 1 else ""
        assert f"Too many failed sign-ins. Please wait {wait} second{plural} and try again." in answer.text
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")

    def test_an_empty_password_is_not_counted(self, client: TestClient) -> None:
        """Submitting the form without a password is refused without counting against the account."""
        for _ in range(SIGN_IN_DEFAULTS.free_attempts + 1):
            assert sign_in(client, "coordinator-sev", "").status_code == 401
        assert sign_in(client, "coordinator-sev").status_code == 303
