"""The signing screen under the sign-in throttle: wrong signing passwords lock the account, and then even
the right password shows the sign-in throttle's message at the password field (429), signing nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from remission.api.settings import Settings
from remission.store.database import Store

from .support import PASSWORD, patient_id, sign_in
from .test_signing_and_lock_pages import sign, waiting_units


class TestSigningThrottle:
    def test_a_locked_account_sees_the_throttle_message_at_the_password(
        self, client: TestClient, web_store: Store, settings: Settings
    ) -> None:
        """After the free wrong passwords the right one answers 429 with Retry-After and the wait in words."""
        sign_in(client, "investigator-sev")
        target = patient_id(web_store, "INF-01")
        units = waiting_units(client.get(f"/signing?patient_id={target}").text)
        for _ in range(settings.sign_in.free_attempts):
            answer = sign(client, units[:1], username="investigator-sev", password="not my password")
            assert answer.status_code == 422  # type: ignore[attr-defined]
        locked = sign(client, units[:1], username="investigator-sev", password=PASSWORD)
        assert locked.status_code == 429  # type: ignore[attr-defined]
        assert int(locked.headers["Retry-After"]) >= 1  # type: ignore[attr-defined]
        assert 'id="password-error"' in locked.text  # type: ignore[attr-defined]
        assert "Too many failed sign-ins. Please wait" in locked.text  # type: ignore[attr-defined]
        assert "No signatures yet." in client.get(f"/patients/{target}").text
