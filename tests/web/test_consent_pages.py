"""The consent pages follow the store's rules: managers register versions, everyone reads them, and a
re-consent list holds only the viewer's sites' patients."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from remission.store.database import Store

from .support import patient_id, sign_in, signed_in_csrf


def _second_form(client: TestClient) -> str:
    """The URL of the demo's second parental permission form's re-consent list."""
    page = client.get("/consent-versions").text
    match = re.search(r"synthetic ICF v2.*?href=\"(/consent-versions/\d+/reconsent)\"", page, re.S)
    assert match, "the demo's second form is not listed"
    return match.group(1)


class TestConsentPages:
    def test_the_data_manager_sees_who_must_re_consent(self, client: TestClient) -> None:
        """The second form's re-consent list names synthetic children on the first form."""
        sign_in(client, "data-manager")
        page = client.get(_second_form(client)).text
        assert "SYN-" in page
        assert "synthetic ICF v1" in page

    def test_a_site_coordinator_sees_only_their_sites_patients(self, client: TestClient) -> None:
        """SEV's coordinator reads the list, which holds no patient of the synthetic sites."""
        sign_in(client, "coordinator-sev")
        answer = client.get(_second_form(client))
        assert answer.status_code == 200
        assert "SYN-" not in answer.text
        assert "Register a version" not in client.get("/consent-versions").text

    def test_a_monitor_may_not_register_a_version(self, client: TestClient) -> None:
        """A monitor posting the form gets 403 and no version is stored."""
        sign_in(client, "monitor")
        token = signed_in_csrf(client)
        answer = client.post(
            "/consent-versions",
            data={"csrf_token": token, "protocol_id": "NCT06516679", "kind": "assent", "label": "monitor v9"},
        )
        assert answer.status_code == 403
        assert "monitor v9" not in client.get("/consent-versions").text

    def test_a_bad_approval_date_names_the_field(self, client: TestClient) -> None:
        """An approval date that is not a date is refused on a page naming approved_on."""
        sign_in(client, "data-manager")
        token = signed_in_csrf(client)
        answer = client.post(
            "/consent-versions",
            data={
                "csrf_token": token,
                "protocol_id": "NCT06516679",
                "kind": "assent",
                "label": "assent v2",
                "approved_on": "2026-02-30",
            },
        )
        assert answer.status_code == 422
        assert "approved_on" in answer.text

    def test_the_patient_page_shows_consent_actions(self, client: TestClient, web_store: Store) -> None:
        """An enrolled synthetic child's page lists parental permission, assent and own consent."""
        sign_in(client, "data-manager")
        page = client.get(f"/patients/{patient_id(web_store, 'SYN-A-001')}").text
        section = page.split('id="consent-actions"', 1)[1].split("</section>", 1)[0]
        for words in ("parental permission", "assent", "participant consent"):
            assert words in section
