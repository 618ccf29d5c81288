"""Missing-data codes on the pages: recorded from the patient page on a field or a calendar item,
shown on the baseline form instead of an empty input, cleared with a reason; the store's rules."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient

from remission.store import Actor, list_missing_codes, read_calendar
from remission.store.database import Store

from .support import patient_id, sign_in, signed_in_csrf

LINEAGE = "diagnosis.alal_predominant_lineage"  # empty for INF-01, a B-ALL


def _codes(store: Store, target: int) -> list:
    with store.session(Actor.for_system("web tests")) as session:
        return list_missing_codes(session, patient_id=target)


def _record(client: TestClient, target: int, **data: str):
    token = signed_in_csrf(client, f"/patients/{target}")
    return client.post(
        f"/patients/{target}/missing-codes", data={"csrf_token": token, **data}, follow_redirects=False
    )


def test_a_code_on_an_empty_field_shows_on_the_page_and_on_the_baseline_form(
    client: TestClient, web_store: Store
):
    """A coordinator codes the ALAL lineage *not applicable*: the page lists it, the baseline form shows
    the code instead of the input, and clearing it with a reason brings the input back."""
    sign_in(client, "coordinator-sev")
    target = patient_id(web_store, "INF-01")
    page = client.get(f"/patients/{target}").text
    assert f'value="baseline|{LINEAGE}"' in page
    answer = _record(client, target, item=f"baseline|{LINEAGE}", code="not applicable", note="B-ALL")
    assert answer.status_code == 303, answer.text[:1000]
    (code,) = _codes(web_store, target)
    assert (code.field, code.code.value, code.recorded_by) == (LINEAGE, "not applicable", "coordinator-sev")
    page = client.get(f"/patients/{target}").text
    section = page[page.index('id="missing-codes"') :]
    assert "not applicable" in section
    assert f'value="baseline|{LINEAGE}"' not in page  # a coded item is not offered again
    form = client.get(f"/patients/{target}/baseline").text
    assert 'id="f-diagnosis-alal-predominant-lineage-coded"' in form
    assert 'name="diagnosis.alal_predominant_lineage"' not in form
    token = signed_in_csrf(client, f"/patients/{target}")
    cleared = client.post(
        f"/patients/{target}/missing-codes/{code.id}/clear",
        data={"csrf_token": token, "version": str(code.version), "reason": "lineage was assessed"},
        follow_redirects=False,
    )
    assert cleared.status_code == 303
    assert _codes(web_store, target) == []
    assert 'name="diagnosis.alal_predominant_lineage"' in client.get(f"/patients/{target}/baseline").text


def test_refusals_name_the_field_and_write_nothing(client: TestClient, web_store: Store):
    """A field with a value is a 409 naming it; clearing without a reason is refused; nothing is stored."""
    sign_in(client, "coordinator-sev")
    target = patient_id(web_store, "INF-01")
    answer = _record(client, target, item="baseline|wbc_at_diagnosis_1e9_per_l", code="unknown")
    assert answer.status_code == 409
    assert "wbc_at_diagnosis_1e9_per_l: " in answer.text
    assert "clear the value first" in answer.text
    bad = _record(client, target, item=f"baseline|{LINEAGE}", code="perhaps")
    assert bad.status_code == 422
    assert "code: " in bad.text
    assert _codes(web_store, target) == []


def test_only_writers_of_the_site_record_codes(client: TestClient, web_store: Store):
    """Another site's coordinator gets 404 and a monitor 403; no code is stored."""
    target = patient_id(web_store, "INF-01")
    sign_in(client, "coordinator-snu")
    token = signed_in_csrf(client)
    data = {"csrf_token": token, "item": f"baseline|{LINEAGE}", "code": "unknown"}
    assert client.post(f"/patients/{target}/missing-codes", data=data).status_code == 404
    client.cookies.clear()
    sign_in(client, "monitor")
    data["csrf_token"] = signed_in_csrf(client)
    assert client.post(f"/patients/{target}/missing-codes", data=data).status_code == 403
    assert _codes(web_store, target) == []


def test_a_calendar_item_marked_not_done_changes_state(client: TestClient, web_store: Store):
    """The first open calendar item of an enrolled child, marked *not done*, shows that state and code."""
    sign_in(client, "coordinator-sev")
    target = patient_id(web_store, "INF-01")
    page = client.get(f"/patients/{target}").text
    form = re.search(
        r'name="protocol_id" value="([^"]+)">\s*<input type="hidden" name="assessment" value="([^"]+)">\s*'
        r'<input type="hidden" name="occurrence" value="([^"]*)">',
        page,
    )
    assert form, "no calendar item to mark"
    protocol, assessment, occurrence = form.groups()
    data = {"form": "calendar", "protocol_id": protocol, "assessment": assessment, "occurrence": occurrence}
    assert _record(client, target, code="not done", **data).status_code == 303
    with web_store.session(Actor.for_system("web tests")) as session:
        (calendar,) = [
            c
            for c in read_calendar(session, patient_id=target, as_of=date.today())
            if c.protocol_id == protocol
        ]
    (item,) = [i for i in calendar.items if (i.assessment, i.occurrence) == (assessment, occurrence)]
    assert (item.state.value, item.missing_code.value) == ("not done", "not done")
    assert 'state-not-done">not done' in client.get(f"/patients/{target}").text
