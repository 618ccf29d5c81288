"""The pages follow the API's role and site rules: another site's patient is not found; roles limit writes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from remission.api.app import API_PREFIX
from remission.store.database import Store

from .support import PASSWORD, patient_id, sign_in, signed_in_csrf


class TestSites:
    def test_another_sites_patient_is_not_found(self, client: TestClient, web_store: Store) -> None:
        """A SEV coordinator opening an SNU patient gets the 404 page, which names nothing of the patient."""
        sign_in(client, "coordinator-sev")
        answer = client.get(f"/patients/{patient_id(web_store, 'INF-02')}")
        assert answer.status_code == 404
        assert "Not found" in answer.text
        assert "INF-02" not in answer.text

    def test_missing_and_foreign_patients_look_the_same(self, client: TestClient, web_store: Store) -> None:
        """A patient of another site and one that does not exist get the same page."""
        sign_in(client, "coordinator-sev")
        foreign = client.get(f"/patients/{patient_id(web_store, 'INF-02')}")
        missing = client.get("/patients/999999")
        assert foreign.status_code == missing.status_code == 404
        assert foreign.text == missing.text

    def test_another_sites_casebook_pdf_is_not_found(self, client: TestClient, web_store: Store) -> None:
        """A SEV coordinator asking for an SNU patient's casebook PDF gets the 404 page, not a PDF."""
        sign_in(client, "coordinator-sev")
        answer = client.get(f"/patients/{patient_id(web_store, 'INF-02')}/casebook.pdf")
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert "INF-02" not in answer.text

    def test_list_shows_only_the_own_site(self, client: TestClient) -> None:
        """A SEV coordinator's list holds SEV patients and no patient of another site."""
        sign_in(client, "coordinator-sev")
        page = client.get("/patients").text
        assert "INF-01" in page
        assert "INF-04" in page
        assert "INF-02" not in page
        assert "SYN-" not in page

    def test_writing_to_another_sites_patient_is_not_found(
        self, client: TestClient, web_store: Store
    ) -> None:
        """A SEV coordinator posting a follow-up for an SNU patient gets 404 and nothing is stored."""
        sign_in(client, "coordinator-sev")
        token = signed_in_csrf(client)
        target = patient_id(web_store, "INF-05")
        answer = client.post(
            f"/patients/{target}/follow-ups/new",
            data={"csrf_token": token, "date": "2025-06-01", "status": "alive in remission"},
        )
        assert answer.status_code == 404
        sign_in(client, "coordinator-snu")
        assert "Follow-up: alive in remission" not in client.get(f"/patients/{target}").text

    def test_study_roles_read_every_site(self, client: TestClient) -> None:
        """A data manager's list holds patients of every site."""
        sign_in(client, "data-manager")
        page = client.get("/patients").text
        assert "INF-01" in page
        assert "INF-02" in page
        assert "INF-03" in page


class TestRoles:
    def test_monitor_may_not_open_a_form(self, client: TestClient, web_store: Store) -> None:
        """A monitor reads a patient but gets 403 for the form that would change the record."""
        sign_in(client, "monitor")
        target = patient_id(web_store, "INF-01")
        assert client.get(f"/patients/{target}").status_code == 200
        assert client.get(f"/patients/{target}/mrd/new").status_code == 403

    def test_monitor_sees_no_add_buttons(self, client: TestClient, web_store: Store) -> None:
        """The patient page offers no forms to a role that may not write."""
        sign_in(client, "monitor")
        page = client.get(f"/patients/{patient_id(web_store, 'INF-01')}").text
        assert "Add MRD result" not in page

    def test_statistician_gets_no_identifiers(self, client: TestClient, web_store: Store) -> None:
        """A statistician sees neither the identifiers link nor the identifiers page (404)."""
        sign_in(client, "statistician")
        target = patient_id(web_store, "INF-01")
        assert "Show identifiers" not in client.get(f"/patients/{target}").text
        assert client.get(f"/patients/{target}/identifiers").status_code == 404

    def test_statistician_sees_no_date_of_birth(self, client: TestClient, web_store: Store) -> None:
        """The patient page shows the date of birth only to roles of the patient's site."""
        sign_in(client, "statistician")
        page = client.get(f"/patients/{patient_id(web_store, 'INF-01')}").text
        assert "Date of birth" not in page
        assert "Age at diagnosis" in page

    def test_site_role_may_not_open_the_dashboard(self, client: TestClient) -> None:
        """The study dashboard answers 403 to a site coordinator."""
        sign_in(client, "coordinator-sev")
        assert client.get("/dashboard").status_code == 403

    def test_api_errors_stay_json(self, client: TestClient) -> None:
        """Under /api/v1 a missing patient is still the API's JSON 404, not an HTML page."""
        token = client.post(
            f"{API_PREFIX}/auth/token", data={"username": "data-manager", "password": PASSWORD}
        ).json()["access_token"]
        answer = client.get(f"{API_PREFIX}/patients/999999", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 404
        assert answer.json() == {"detail": [{"field": "patient", "problem": "not found"}]}


class TestSourceVerification:
    def test_marking_another_sites_patient_is_not_found(self, client: TestClient, web_store: Store) -> None:
        """A SEV coordinator posting an SDV mark for an SNU patient gets 404, as for any of its writes."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-02")
        answer = client.post(
            f"/patients/{target}/sdv", data={"csrf_token": signed_in_csrf(client), "item": "patient||sex"}
        )
        assert answer.status_code == 404

    def test_site_staff_may_not_mark_their_own_patient(self, client: TestClient, web_store: Store) -> None:
        """A SEV coordinator, who enters the values, is refused marking them verified (403)."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        answer = client.post(
            f"/patients/{target}/sdv", data={"csrf_token": signed_in_csrf(client), "item": "patient||sex"}
        )
        assert answer.status_code == 403
        assert "Mark verified" not in client.get(f"/patients/{target}").text

    def test_the_sdv_worklist_of_another_site_is_refused_by_name(self, client: TestClient) -> None:
        """A SEV coordinator asking for SNU's SDV worklist is told so and shows no SNU patient."""
        sign_in(client, "coordinator-sev")
        page = client.get("/sdv", params={"site": "SNU"}).text
        assert "site: &#39;SNU&#39; is not a site you may read" in page
        assert "INF-02" not in page
