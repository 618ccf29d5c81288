"""The data query pages: opening a query from a form, the marker next to the field, answering from
the form, closing and re-opening on the thread page, the worklists, the dashboard counts, and
another site's query (not found)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.models import MRDMeasurement

from .support import patient_id, sign_in, signed_in_csrf


def _post(client: TestClient, path: str, data: dict[str, str]):
    return client.post(path, data={"csrf_token": signed_in_csrf(client), **data}, follow_redirects=False)


def _first_mrd(store: Store, study_id: str) -> int:
    target = patient_id(store, study_id)
    with store.session(Actor.for_system("web tests")) as session:
        found = session.scalar(select(MRDMeasurement.id).where(MRDMeasurement.patient_id == target))
    assert found is not None
    return found


def _open(client: TestClient, target: int, form: str, field: str, row: int | None = None) -> int:
    data = {"patient_id": str(target), "form": form, "field": field, "text": "Please check this value"}
    if row is not None:
        data["row_id"] = str(row)
    answer = _post(client, "/queries/new", data)
    assert answer.status_code == 303, answer.text[:500]
    match = re.fullmatch(r"/queries/(\d+)", answer.headers["location"])
    assert match
    return int(match.group(1))


class TestOpeningAndMarkers:
    def test_a_query_on_a_row_field_marks_the_field_and_is_answered_from_the_form(
        self, client: TestClient, web_store: Store
    ) -> None:
        """The data manager opens a query on an MRD result's sample date; the coordinator's form shows
        the marker next to that date and answers it there; the thread shows both steps."""
        target, ae = patient_id(web_store, "INF-01"), _first_mrd(web_store, "INF-01")
        sign_in(client, "data-manager")
        form = client.get(f"/queries/new?patient_id={target}&form=mrd&row_id={ae}&field=sample_date")
        assert form.status_code == 200
        assert 'value="sample_date" selected' in form.text
        query_id = _open(client, target, "mrd", "sample_date", ae)
        client.cookies.clear()

        sign_in(client, "coordinator-sev")
        page = client.get(f"/patients/{target}/mrd/{ae}/edit").text
        marker = re.search(r'<p class="query-marker" id="(f-[^"]+)-query">(.*?)</p>', page, re.S)
        assert marker
        assert "sample" in marker.group(1)
        assert f"/queries/{query_id}" in marker.group(2)
        answered = _post(
            client,
            f"/queries/{query_id}/answer",
            {
                "version": "1",
                "text": "Date confirmed",
                "return_to": f"/patients/{target}/mrd/{ae}/edit",
            },
        )
        assert answered.status_code == 303
        assert answered.headers["location"] == f"/patients/{target}/mrd/{ae}/edit"
        thread = client.get(f"/queries/{query_id}").text
        assert "Date confirmed" in thread
        assert "coordinator-sev" in thread
        assert 'id="query-state">answered<' in thread

    def test_a_baseline_query_marks_the_baseline_field(self, client: TestClient, web_store: Store) -> None:
        """A query on the WBC at diagnosis shows next to that input of the baseline form."""
        target = patient_id(web_store, "INF-02")
        sign_in(client, "monitor")
        _open(client, target, "baseline", "wbc_at_diagnosis_1e9_per_l")
        client.cookies.clear()
        sign_in(client, "coordinator-snu")
        page = client.get(f"/patients/{target}/baseline").text
        assert re.search(r'id="f-wbc[^"]*-query"', page)
        patient_page = client.get(f"/patients/{target}").text
        assert "WBC" in patient_page.split('id="patient-queries"')[1].split("</section>")[0]

    def test_an_empty_question_comes_back_with_a_message(self, client: TestClient, web_store: Store) -> None:
        """No text: the form comes back (422) naming the text."""
        target = patient_id(web_store, "INF-01")
        sign_in(client, "data-manager")
        answer = _post(client, "/queries/new", {"patient_id": str(target), "form": "baseline", "text": " "})
        assert answer.status_code == 422
        assert "text:" in answer.text

    def test_a_coordinator_may_not_open_a_query(self, client: TestClient, web_store: Store) -> None:
        """Opening belongs to the data manager and the monitor."""
        target = patient_id(web_store, "INF-01")
        sign_in(client, "coordinator-sev")
        assert client.get(f"/queries/new?patient_id={target}&form=baseline").status_code == 403
        answer = _post(client, "/queries/new", {"patient_id": str(target), "form": "baseline", "text": "x"})
        assert answer.status_code == 403


class TestThreadSteps:
    def test_close_then_reopen_and_a_stale_version(self, client: TestClient, web_store: Store) -> None:
        """The data manager closes and re-opens; a form read at an older version gets 409, nothing saved."""
        target = patient_id(web_store, "INF-01")
        sign_in(client, "data-manager")
        query_id = _open(client, target, "baseline", "cns_status")
        assert "Close the query" in client.get(f"/queries/{query_id}").text
        assert (
            _post(client, f"/queries/{query_id}/close", {"version": "1", "text": "Fine"}).status_code == 303
        )
        assert "Re-open the query" in client.get(f"/queries/{query_id}").text
        stale = _post(client, f"/queries/{query_id}/close", {"version": "1", "text": "again"})
        assert stale.status_code == 409
        assert 'id="query-state">closed<' in stale.text
        assert _post(client, f"/queries/{query_id}/reopen", {"version": "2", "text": "No"}).status_code == 303
        assert 'id="query-state">re-opened<' in client.get(f"/queries/{query_id}").text

    def test_another_sites_coordinator_gets_not_found(self, client: TestClient, web_store: Store) -> None:
        """A SNU coordinator neither reads nor answers a SEV patient's query."""
        target = patient_id(web_store, "INF-01")
        sign_in(client, "data-manager")
        query_id = _open(client, target, "baseline", "cns_status")
        client.cookies.clear()
        sign_in(client, "coordinator-snu")
        assert client.get(f"/queries/{query_id}").status_code == 404
        assert _post(client, f"/queries/{query_id}/answer", {"version": "1", "text": "x"}).status_code == 404


class TestWorklistsAndDashboard:
    def test_each_role_sees_what_waits_for_it_and_the_dashboard_counts(
        self, client: TestClient, web_store: Store
    ) -> None:
        """Open queries wait for the coordinator, answered ones for the data manager; counts by site."""
        first, second = patient_id(web_store, "INF-01"), patient_id(web_store, "INF-04")
        sign_in(client, "data-manager")
        open_id = _open(client, first, "baseline", "cns_status")
        answered_id = _open(client, second, "baseline", "cns_status")
        client.cookies.clear()
        sign_in(client, "coordinator-sev")
        mine = client.get("/queries").text
        assert f'href="/queries/{open_id}"' in mine
        assert _post(
            client, f"/queries/{answered_id}/answer", {"version": "1", "text": "Done"}
        ).status_code in (
            303,
            404,
        )
        client.cookies.clear()
        sign_in(client, "data-manager")
        waiting = client.get("/queries").text
        assert f'href="/queries/{open_id}"' not in waiting
        assert f'href="/queries/{answered_id}"' in waiting
        every = client.get("/queries?show=all&state=open").text
        assert f'href="/queries/{open_id}"' in every
        board = client.get("/dashboard").text
        counts = board.split('id="query-counts"')[1].split("</section>")[0]
        assert "SEV" in counts
