"""Edit checks on writes through the API: a fired hard check is a 422 naming the field, and nothing is
stored; a passing or unknown check lets the write through (issue 11, item 3)."""

from __future__ import annotations

from typing import Any

import pytest

from remission.api.app import API_PREFIX
from remission.protocols import load_protocol, shipped_protocol_ids
from remission.store import edit_check_column_problems
from remission.store.vocabulary import Role

from .helpers import Api, Principal, enrollment_body, example, patient_body, problems

SEV = Principal(Role.INVESTIGATOR, "SEV")
AE = {"term": "Febrile neutropenia", "grade": 3, "serious": True, "attribution": "possible"}


def _call(api: Api, method: str, path: str, body: Any = None) -> Any:
    return api.client.request(method, f"{API_PREFIX}{path}", json=body, headers=api.headers(SEV))


def _patient(api: Api, study_id: str, *, enrolled: bool) -> int:
    """INF-04 (diagnosed 2025-07-21) at SEV, enrolled in NCT06516679 or not."""
    record = example("INF-04")
    answer = _call(api, "POST", "/patients", patient_body(record, study_id, site="SEV"))
    assert answer.status_code == 201, answer.text
    patient = answer.json()["id"]
    if enrolled:
        assert _call(api, "POST", f"/patients/{patient}/consents", record["consent"]).status_code == 201
        assert (
            _call(api, "POST", f"/patients/{patient}/enrollments", enrollment_body(record)).status_code == 201
        )
    return patient


def _count(api: Api, patient: int, segment: str) -> int:
    return len(_call(api, "GET", f"/patients/{patient}/{segment}").json())


def test_an_adverse_event_before_the_diagnosis_is_refused_naming_the_field(api: Api) -> None:
    patient = _patient(api, "API-EC-1", enrolled=True)
    answer = _call(api, "POST", f"/patients/{patient}/adverse-events", AE | {"onset_date": "2025-07-20"})
    assert answer.status_code == 422, answer.text
    (field, problem), *_ = problems(answer).items()
    assert field == "onset_date"
    assert "cannot begin before the diagnosis" in problem
    assert "ae-onset-not-before-diagnosis" in problem
    assert _count(api, patient, "adverse-events") == 0
    fine = _call(api, "POST", f"/patients/{patient}/adverse-events", AE | {"onset_date": "2025-07-21"})
    assert fine.status_code == 201, fine.text


def test_the_checks_are_the_enrolled_protocols(api: Api) -> None:
    """A child enrolled in no protocol has no protocol checks (the record's own date rules still hold)."""
    patient = _patient(api, "API-EC-2", enrolled=False)
    answer = _call(api, "POST", f"/patients/{patient}/adverse-events", AE | {"onset_date": "2025-07-20"})
    assert answer.status_code == 201, answer.text


def test_overlapping_phases_are_refused_on_create_and_on_change(api: Api) -> None:
    patient = _patient(api, "API-EC-3", enrolled=True)
    induction = {"phase_id": "induction", "actual_start": "2025-07-23", "actual_end": "2025-08-26"}
    first = _call(api, "POST", f"/patients/{patient}/treatment-phases", induction)
    assert first.status_code == 201, first.text
    backwards = induction | {"actual_end": "2025-07-22"}
    answer = _call(api, "POST", f"/patients/{patient}/treatment-phases", backwards | {"phase_id": "x"})
    assert answer.status_code == 422, answer.text
    assert set(problems(answer)) == {"actual_end"}
    # after the INF-04's provisional track (rearranged KMT2A) the next phase is HR consolidation 1
    consolidation = {"phase_id": "hr_consolidation_1", "actual_start": "2025-08-27"}
    created = _call(api, "POST", f"/patients/{patient}/treatment-phases", consolidation)
    assert created.status_code == 201, created.text
    row = _call(api, "GET", f"/patients/{patient}/treatment-phases/{first.json()['id']}").json()
    change = {"version": row["version"], "reason": "corrected", "actual_end": "2025-08-30"}
    answer = _call(api, "PATCH", f"/patients/{patient}/treatment-phases/{row['id']}", change)
    assert answer.status_code == 422, answer.text
    assert set(problems(answer)) == {"actual_end"}
    assert "phase-before-next-phase" in problems(answer)["actual_end"]
    after = _call(api, "GET", f"/patients/{patient}/treatment-phases/{row['id']}").json()
    assert after == row


def test_an_unknown_input_lets_the_write_through(api: Api) -> None:
    """With no follow-up recorded, a death cannot be checked against one: it is stored."""
    patient = _patient(api, "API-EC-4", enrolled=True)
    answer = _call(api, "POST", f"/patients/{patient}/deaths", {"date": "2025-09-01", "cause": "infection"})
    assert answer.status_code == 201, answer.text
    late = _call(
        api, "POST", f"/patients/{patient}/follow-ups", {"date": "2025-09-02", "status": "alive in remission"}
    )
    assert late.status_code == 422, late.text
    assert "follow-up-not-after-death" in problems(late)["date"]


@pytest.mark.parametrize("protocol_id", shipped_protocol_ids())
def test_every_check_names_columns_of_its_form(protocol_id: str) -> None:
    assert edit_check_column_problems(load_protocol(protocol_id)) == []


def _queries(api: Api, patient: int) -> list[dict[str, Any]]:
    answer = _call(api, "GET", f"/patients/{patient}/queries")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_soft_check_saves_the_row_and_opens_one_query_noted_when_satisfied(api: Api) -> None:
    patient = _patient(api, "API-EC-5", enrolled=True)
    mrd = {
        "time_point": "end of induction",
        "method": "flow cytometry",
        "sample_date": "2025-08-27",
        "value_fraction": 0.001,
    }
    created = _call(api, "POST", f"/patients/{patient}/mrd", mrd)
    assert created.status_code == 201, created.text
    (query,) = _queries(api, patient)
    assert (query["check_id"], query["form"], query["field"], query["state"]) == (
        "mrd-sensitivity-recorded",
        "mrd",
        "sensitivity_fraction",
        "open",
    )
    assert query["row_id"] == created.json()["id"]
    assert query["messages"][0]["automatic"] is True
    assert "MRD result states the method's sensitivity: not met" in query["messages"][0]["text"]
    assert query["check_satisfied_at"] is None
    url = f"/patients/{patient}/mrd/{created.json()['id']}"
    row = _call(api, "GET", url).json()
    still = _call(api, "PATCH", url, {"version": row["version"], "reason": "typo", "value_fraction": 0.002})
    assert still.status_code == 200, still.text
    assert len(_queries(api, patient)) == 1  # the check fires again: no second query
    fixed = _call(
        api, "PATCH", url, {"version": still.json()["version"], "reason": "lab", "sensitivity_fraction": 1e-5}
    )
    assert fixed.status_code == 200, fixed.text
    (noted,) = _queries(api, patient)
    assert noted["state"] == "open"  # a person still closes it
    assert noted["check_satisfied_at"] is not None
    assert noted["messages"][-1]["text"] == "the data now satisfies check mrd-sensitivity-recorded"
