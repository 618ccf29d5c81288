"""A patient's calendar and a site's worklist through the API: states from the stored course, isolation."""

from __future__ import annotations

from typing import Any

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from .helpers import Api, Principal, enrollment_body, example, patient_body

SEV = Principal(Role.INVESTIGATOR, "SEV")
AS_OF = "2025-09-20"  # after induction (ended 2025-08-26), during HR consolidation 1


def _call(api: Api, who: Principal, method: str, path: str, body: Any = None) -> Any:
    return api.client.request(method, f"{API_PREFIX}{path}", json=body, headers=api.headers(who))


def _enrolled_inf04(api: Api, *, with_mrd: bool) -> int:
    """INF-04 (KMT2A-rearranged) at SEV, enrolled, with its induction dates and its consent."""
    record = example("INF-04")
    answer = _call(api, SEV, "POST", "/patients", patient_body(record, "API-CAL-04", site="SEV"))
    assert answer.status_code == 201, answer.text
    patient = answer.json()["id"]
    assert _call(api, SEV, "POST", f"/patients/{patient}/consents", record["consent"]).status_code == 201
    assert (
        _call(api, SEV, "POST", f"/patients/{patient}/enrollments", enrollment_body(record)).status_code
        == 201
    )
    induction = {"phase_id": "induction", "actual_start": "2025-07-23", "actual_end": "2025-08-26"}
    assert _call(api, SEV, "POST", f"/patients/{patient}/treatment-phases", induction).status_code == 201
    if with_mrd:
        mrd = record["mrd"][0]
        assert _call(api, SEV, "POST", f"/patients/{patient}/mrd", mrd).status_code == 201
    return patient


def _items(api: Api, patient: int) -> dict[tuple[str, str], dict[str, Any]]:
    answer = _call(api, SEV, "GET", f"/patients/{patient}/calendar?as_of={AS_OF}")
    assert answer.status_code == 200, answer.text
    (calendar,) = answer.json()
    assert calendar["provisional_track"] == "rearranged-track"
    return {(item["assessment"], item["occurrence"]): item for item in calendar["items"]}


def test_the_calendar_follows_the_stored_course(api: Api) -> None:
    items = _items(api, _enrolled_inf04(api, with_mrd=False))
    end_of_induction = items[("mrd-end-of-induction", "")]
    assert (end_of_induction["state"], end_of_induction["due_until"]) == ("overdue", "2025-09-09")
    assert items[("anthracycline-doses", "induction")]["state"] == "overdue"
    assert items[("hsct-record", "")]["state"] == "not scheduled yet"  # HR still possible on this track
    assert items[("mrd-after-consolidation-1", "")]["state"] == "not scheduled yet"


def test_an_mrd_result_makes_it_done_and_the_worklist_shows_what_is_left(api: Api) -> None:
    patient = _enrolled_inf04(api, with_mrd=True)
    assert _items(api, patient)[("mrd-end-of-induction", "")]["done_on"] == "2025-08-27"
    worklist = _call(api, SEV, "GET", f"/sites/SEV/worklist?as_of={AS_OF}").json()
    mine = [line for line in worklist if line["patient_id"] == patient]
    assert [(line["assessment"], line["state"]) for line in mine] == [
        ("anthracycline-doses", "overdue"),
        ("end-of-phase-report", "due"),  # induction's report: due until 30 days after its end
    ]


def test_another_site_sees_neither(api: Api) -> None:
    patient = _enrolled_inf04(api, with_mrd=False)
    snu = Principal(Role.INVESTIGATOR, "SNU")
    assert _call(api, snu, "GET", f"/patients/{patient}/calendar").status_code == 404
    lines = _call(api, snu, "GET", f"/sites/SEV/worklist?as_of={AS_OF}").json()
    assert [line for line in lines if line["patient_id"] == patient] == []


def test_an_assessment_coded_not_done_shows_its_code_and_leaves_the_worklist(api: Api) -> None:
    """POST a *not done* code on the overdue induction doses: the calendar says *not done* with the
    code, the worklist no longer lists it; a wrong occurrence is a 422 naming it; clearing restores it."""
    patient = _enrolled_inf04(api, with_mrd=True)
    item = {"form": "calendar", "protocol_id": "NCT06516679", "assessment": "anthracycline-doses"}
    wrong = _call(
        api,
        SEV,
        "POST",
        f"/patients/{patient}/missing-codes",
        item | {"occurrence": "maintenance", "code": "not done"},
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["field"] == "occurrence"
    answer = _call(
        api,
        SEV,
        "POST",
        f"/patients/{patient}/missing-codes",
        item | {"occurrence": "induction", "code": "not done"},
    )
    assert answer.status_code == 201, answer.text
    coded = _items(api, patient)[("anthracycline-doses", "induction")]
    assert (coded["state"], coded["missing_code"]) == ("not done", "not done")
    worklist = _call(api, SEV, "GET", f"/sites/SEV/worklist?as_of={AS_OF}").json()
    owed = [line["assessment"] for line in worklist if line["patient_id"] == patient]
    assert "anthracycline-doses" not in owed
    code = answer.json()
    cleared = _call(
        api,
        SEV,
        "DELETE",
        f"/patients/{patient}/missing-codes/{code['id']}?version={code['version']}&reason=wrong",
    )
    assert cleared.status_code == 204
    assert _items(api, patient)[("anthracycline-doses", "induction")]["state"] == "overdue"


def test_a_code_on_a_field_with_a_value_is_a_409_naming_it(api: Api) -> None:
    """KMT2A status holds a value: recording a code on it is refused, naming the field."""
    patient = _enrolled_inf04(api, with_mrd=False)
    body = {"form": "baseline", "field": "genetics.kmt2a.status", "code": "unknown"}
    answer = _call(api, SEV, "POST", f"/patients/{patient}/missing-codes", body)
    assert answer.status_code == 409
    (problem,) = answer.json()["detail"]
    assert problem["field"] == "genetics.kmt2a.status"
    assert "clear the value first" in problem["problem"]
