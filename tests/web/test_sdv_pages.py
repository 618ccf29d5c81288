"""The SDV pages: a monitor marks an item verified on the patient page; a site's SDV worklist."""

from __future__ import annotations

from fastapi.testclient import TestClient

from remission.store.database import Store

from .support import patient_id, sign_in, signed_in_csrf


def _mark(client: TestClient, patient: int, item: str) -> int:
    answer = client.post(
        f"/patients/{patient}/sdv",
        data={"csrf_token": signed_in_csrf(client), "item": item},
        follow_redirects=False,
    )
    return answer.status_code


class TestPatientPage:
    def test_a_monitor_marks_the_kmt2a_status_verified(self, client: TestClient, web_store: Store) -> None:
        """The monitor's mark on a required item shows it verified, by the monitor, in the SDV section."""
        sign_in(client, "monitor")
        target = patient_id(web_store, "INF-01")
        page = client.get(f"/patients/{target}").text
        assert 'data-item="baseline:genetics.kmt2a.status"' in page
        assert _mark(client, target, "baseline||genetics.kmt2a.status") == 303
        page = client.get(f"/patients/{target}").text
        row = page.split('data-item="baseline:genetics.kmt2a.status"', 1)[1].split("</tr>", 1)[0]
        assert "<strong>verified</strong>" in row
        assert "monitor" in row

    def test_an_unknown_item_is_refused_naming_the_field(self, client: TestClient, web_store: Store) -> None:
        """A path the record does not have gets the 422 page naming the field; nothing is marked."""
        sign_in(client, "monitor")
        target = patient_id(web_store, "INF-01")
        answer = client.post(
            f"/patients/{target}/sdv", data={"csrf_token": signed_in_csrf(client), "item": "baseline||wbc"}
        )
        assert answer.status_code == 422
        assert "field" in answer.text
        assert 'class="sdv-mark"' not in client.get(f"/patients/{target}").text

    def test_the_page_shows_no_date_of_birth_to_a_monitor(self, client: TestClient, web_store: Store) -> None:
        """The SDV section names the date of birth as an item, never its value, to a study-level role."""
        sign_in(client, "monitor")
        target = patient_id(web_store, "INF-01")
        assert _mark(client, target, "patient||date_of_birth") == 303
        assert "2024-01-01" not in client.get(f"/patients/{target}").text


class TestWorklistPage:
    def test_the_site_worklist_lists_enrolled_children_with_what_is_left(self, client: TestClient) -> None:
        """SEV's SDV page lists INF-01 with its unverified items and the site's counts."""
        sign_in(client, "monitor")
        page = client.get("/sdv", params={"site": "SEV"}).text
        assert 'data-study-id="INF-01"' in page
        assert "unverified" in page
        assert 'id="sdv-summary"' in page
