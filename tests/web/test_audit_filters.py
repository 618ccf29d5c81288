"""The audit page's filter form and paging: patient, user, table, action, dates, next and previous."""

from __future__ import annotations

import html as html_text
import re

from fastapi.testclient import TestClient

from remission.store.database import Store

from .support import patient_id, sign_in

ROW = re.compile(r"<tr>\s*<td>(\d+)</td><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>")
RECORD = re.compile(r'href="/audit\?entity=([a-z_]+)&amp;entity_id=(\d+)"')


def _seqs(page: str) -> list[int]:
    return [int(match.group(1)) for match in ROW.finditer(page)]


def _link(page: str, rel: str) -> str | None:
    match = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return html_text.unescape(match.group(1)) if match else None


class TestAuditFilterForm:
    def test_the_form_keeps_the_filters_it_was_given(self, client: TestClient) -> None:
        """The filter form shows the patient, user, table, action and dates it filtered by."""
        sign_in(client, "monitor")
        page = client.get(
            "/audit",
            params={
                "study_id": "INF-01",
                "username": "demo",
                "entity": "patients",
                "action": "create",
                "since": "2000-01-01",
                "until": "2999-12-31",
            },
        ).text
        assert 'id="f-study_id" name="study_id" type="text" value="INF-01"' in page
        assert 'id="f-username" name="username" type="text" value="demo"' in page
        assert 'id="f-entity" name="entity" type="text" value="patients"' in page
        assert '<option value="create" selected>' in page
        assert 'value="2000-01-01"' in page
        assert 'value="2999-12-31"' in page

    def test_patient_filter_lists_only_that_patients_records(
        self, client: TestClient, web_store: Store
    ) -> None:
        """Filtered by INF-01, the page links INF-01's patient row and no other patient's."""
        sign_in(client, "monitor")
        target, other = patient_id(web_store, "INF-01"), patient_id(web_store, "INF-02")
        page = client.get("/audit", params={"study_id": "INF-01"}).text
        records = {(entity, int(number)) for entity, number in RECORD.findall(page)}
        assert ("patients", target) in records
        assert ("patients", other) not in records
        assert "Audit trail: patient INF-01" in page

    def test_user_and_action_filters_narrow_the_rows(self, client: TestClient) -> None:
        """Every row shown for user demo and action create has that user and that action."""
        sign_in(client, "admin")
        page = client.get("/audit", params={"username": "demo", "action": "create"}).text
        rows = [(m.group(2), m.group(3)) for m in ROW.finditer(page)]
        assert rows
        assert set(rows) == {("demo", "create")}

    def test_a_bad_date_and_an_unknown_patient_are_reported_at_their_fields(self, client: TestClient) -> None:
        """A malformed date is 422 under its field; a study id no one has is 404 under the patient field."""
        sign_in(client, "monitor")
        bad = client.get("/audit", params={"since": "12/01/2026"})
        assert bad.status_code == 422
        assert 'id="f-since-error"' in bad.text
        unknown = client.get("/audit", params={"study_id": "NO-SUCH"})
        assert unknown.status_code == 404
        assert 'id="f-study_id-error"' in unknown.text

    def test_a_statistician_may_not_filter_the_trail(self, client: TestClient) -> None:
        """The filtered view answers 403 to a statistician, as the unfiltered one does."""
        sign_in(client, "statistician")
        assert client.get("/audit", params={"study_id": "INF-01"}).status_code == 403


class TestAuditPaging:
    def test_next_and_previous_walk_older_and_newer_pages_with_the_filters(self, client: TestClient) -> None:
        """Page 1 holds the newest 100; Next leads to older entries with the filter kept, Previous back."""
        sign_in(client, "admin")
        first = client.get("/audit", params={"action": "create"}).text
        assert len(_seqs(first)) == 100
        assert _link(first, "prev") is None
        forward = _link(first, "next")
        assert forward is not None
        assert "action=create" in forward
        second = client.get(forward).text
        assert max(_seqs(second)) < min(_seqs(first))
        back = _link(second, "prev")
        assert back is not None
        assert _seqs(client.get(back).text) == _seqs(first)
