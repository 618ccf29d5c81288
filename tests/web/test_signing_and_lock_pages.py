"""The signing and lock pages: the signing screen shows what is signed, the attestation, the printed name and
meaning, and needs the password (with the user name at the session's first signing); the patient page shows
each signature's name, time and meaning and whether it is valid; freezes and locks are set and released on
their page and refuse a change with a message."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from remission.store.database import Store

from .support import PASSWORD, patient_id, sign_in, signed_in_csrf


def waiting_units(page: str) -> list[str]:
    return re.findall(r'name="unit" value="([^"]+)"', page)


def review(client: TestClient, units: list[str], meaning: str = "review") -> str:
    token = signed_in_csrf(client, "/signing")
    answer = client.post("/signing/review", data={"csrf_token": token, "unit": units, "meaning": meaning})
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


def sign(client: TestClient, units: list[str], **credentials: str) -> object:
    token = signed_in_csrf(client, "/signing")
    data = {"csrf_token": token, "unit": units, "meaning": "review", **credentials}
    return client.post("/signing/sign", data=data, follow_redirects=False)


class TestSigningScreen:
    def test_the_screen_shows_records_attestation_name_and_meaning(
        self, client: TestClient, web_store: Store
    ) -> None:
        """The signing screen lists the chosen records, the attestation, the printed name and the meaning."""
        sign_in(client, "investigator-sev")
        target = patient_id(web_store, "INF-01")
        units = waiting_units(client.get(f"/signing?patient_id={target}").text)
        assert units, "INF-01's casebook waits for its signatures"
        screen = review(client, units[:1])
        assert "INF-01" in screen
        assert "Demo Investigator SEV" in screen
        assert "legally binding" in screen
        assert 'id="meaning">review<' in screen
        assert 'name="username"' in screen  # the first signature of this session

    def test_a_wrong_password_shows_the_screen_again_and_signs_nothing(
        self, client: TestClient, web_store: Store
    ) -> None:
        """A wrong password answers 422 with the message at the password field; nothing is signed."""
        sign_in(client, "investigator-sev")
        target = patient_id(web_store, "INF-01")
        units = waiting_units(client.get(f"/signing?patient_id={target}").text)
        answer = sign(client, units[:1], username="investigator-sev", password="not my password")
        assert answer.status_code == 422
        assert 'id="password-error"' in answer.text
        assert "No signatures yet." in client.get(f"/patients/{target}").text

    def test_signing_then_the_patient_page_shows_name_time_and_meaning(
        self, client: TestClient, web_store: Store
    ) -> None:
        """After signing, the patient page shows who signed, when (UTC), the meaning, and valid; the second
        signing of the session needs only the password."""
        sign_in(client, "investigator-sev")
        target = patient_id(web_store, "INF-01")
        units = waiting_units(client.get(f"/signing?patient_id={target}").text)
        first = sign(client, units[:1], username="investigator-sev", password=PASSWORD)
        assert first.status_code == 303
        assert 'name="username"' not in review(client, units[1:2])
        assert sign(client, units[1:2], password=PASSWORD).status_code == 303
        page = client.get(f"/patients/{target}").text
        assert page.count("signed by Demo Investigator SEV") == 2
        assert "UTC" in page
        assert "meaning <em>review</em>" in page

    def test_a_coordinator_has_nothing_to_sign(self, client: TestClient) -> None:
        """The protocol names investigators as signers; a coordinator's list is empty."""
        sign_in(client, "coordinator-sev")
        assert 'id="nothing-to-sign"' in client.get("/signing").text


class TestLockPages:
    def test_a_data_manager_freezes_a_casebook_and_the_form_is_refused(
        self, client: TestClient, web_store: Store
    ) -> None:
        """A frozen casebook shows its banner; a coordinator's new row is refused with the frozen message."""
        sign_in(client, "data-manager")
        token = signed_in_csrf(client, "/locks")
        answer = client.post(
            "/locks",
            data={
                "csrf_token": token,
                "level": "casebook",
                "state": "frozen",
                "study_id": "INF-01",
                "reason": "interim",
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text[:500]
        assert "casebook of" in client.get("/locks").text
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        assert 'id="lock-banner"' in client.get(f"/patients/{target}").text
        token = signed_in_csrf(client)
        refused = client.post(
            f"/patients/{target}/follow-ups/new",
            data={"csrf_token": token, "date": "2025-06-01", "status": "alive in remission"},
        )
        assert refused.status_code == 409
        assert "frozen" in refused.text

    def test_locking_without_signatures_is_refused_on_the_page(self, client: TestClient) -> None:
        """The lock form shows which signatures are missing, and nothing is locked."""
        sign_in(client, "data-manager")
        token = signed_in_csrf(client, "/locks")
        answer = client.post(
            "/locks", data={"csrf_token": token, "level": "casebook", "state": "locked", "study_id": "INF-01"}
        )
        assert answer.status_code == 422
        assert "signatures" in answer.text
        assert "Nothing is frozen or locked." in answer.text

    def test_a_coordinator_sees_no_lock_form(self, client: TestClient) -> None:
        """Site staff read the locks page but get no form to set or release them."""
        sign_in(client, "coordinator-sev")
        page = client.get("/locks").text
        assert 'action="/locks"' not in page
