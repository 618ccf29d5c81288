"""The stored screening and attestations of an enrollment, viewable after enrollment (issue 15, item 4)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from remission.store import Actor, list_enrollments
from remission.store.database import Store

from .support import patient_id, sign_in


def _enrollment(store: Store, study_id: str):
    with store.session(Actor.for_system("web tests")) as session:
        (enrollment,) = list_enrollments(session, patient_id=patient_id(store, study_id))
        return enrollment


class TestStoredScreening:
    def test_the_page_shows_protocol_version_date_outcome_and_each_criterion(
        self, client: TestClient, web_store: Store
    ) -> None:
        """INF-01's page has the protocol id and version, screening date, verdict and every criterion."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        assert f'href="/patients/{target}/screening"' in client.get(f"/patients/{target}").text
        enrollment = _enrollment(web_store, "INF-01")
        page = client.get(f"/patients/{target}/screening")
        assert page.status_code == 200
        assert f"{enrollment.protocol_id} v{enrollment.protocol_version}" in page.text
        assert enrollment.screening["screened_on"] in page.text
        assert enrollment.screening["verdict"] in page.text
        for criterion in enrollment.screening["criteria"]:
            assert f'id="criterion-{enrollment.id}-{criterion["id"]}"' in page.text

    def test_attestations_show_who_and_when(self, client: TestClient, web_store: Store) -> None:
        """Each stored attestation is listed with the criterion, outcome, person, role and date."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        enrollment = _enrollment(web_store, "INF-01")
        attested = [
            c["inputs"]["attestation"]
            for c in enrollment.screening["criteria"]
            if "attestation" in c.get("inputs", {})
        ]
        assert attested, "the demo's INF-01 was enrolled with attestations"
        page = client.get(f"/patients/{target}/screening").text
        for attestation in attested:
            assert attestation["attested_by"] in page
            assert attestation["date"] in page
            assert attestation["criterion_id"] in page

    def test_a_study_role_sees_no_date_of_birth(self, client: TestClient, web_store: Store) -> None:
        """A monitor reads the screening, but a date of birth read by a criterion is withheld."""
        sign_in(client, "monitor")
        target = patient_id(web_store, "INF-01")
        page = client.get(f"/patients/{target}/screening")
        assert page.status_code == 200
        assert "2024-01-01" not in page.text

    def test_another_sites_user_gets_404(self, client: TestClient, web_store: Store) -> None:
        """An SNU coordinator gets the not-found page for SEV's INF-01, as for a missing patient."""
        sign_in(client, "coordinator-snu")
        foreign = client.get(f"/patients/{patient_id(web_store, 'INF-01')}/screening")
        missing = client.get("/patients/999999/screening")
        assert foreign.status_code == missing.status_code == 404
        assert foreign.text == missing.text

    def test_a_patient_not_enrolled_has_no_stored_screening(
        self, client: TestClient, web_store: Store
    ) -> None:
        """INF-08 (not eligible, never enrolled) has no link, and the page says nothing is stored."""
        sign_in(client, "data-manager")
        target = patient_id(web_store, "INF-08")
        assert f'href="/patients/{target}/screening"' not in client.get(f"/patients/{target}").text
        assert "no screening is stored" in client.get(f"/patients/{target}/screening").text
