"""Data queries through the API: the whole cycle, bad input naming the field, wrong steps (409),
stale versions (409 with the current version), lists and filters — on SQLite and PostgreSQL.
Who may call which route at which site is the isolation walk's (``test_isolation_walk.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from .helpers import QUERY_BODY, Api, Principal, problems

DM = Principal(Role.DATA_MANAGER)
MONITOR = Principal(Role.MONITOR)
COORDINATOR = Principal(Role.COORDINATOR, "SEV")


def _call(api: Api, who: Principal, method: str, path: str, body: Any = None, **options: Any) -> Any:
    return api.client.request(method, f"{API_PREFIX}{path}", json=body, headers=api.headers(who), **options)


def _open(api: Api, body: dict[str, Any] | None = None) -> dict[str, Any]:
    patient = api.patients["SEV"].id
    answer = _call(api, DM, "POST", f"/patients/{patient}/queries", body or QUERY_BODY)
    assert answer.status_code == 201, answer.text
    return answer.json()


class TestCycle:
    def test_open_answer_close_reopen(self, api: Api):
        """Each step answers the query with its new state, version and thread."""
        query = _open(api)
        assert (query["state"], query["version"], query["study_id"]) == ("open", 1, "SEED-01")
        assert [m["action"] for m in query["messages"]] == ["open"]
        path = f"/queries/{query['id']}"
        answered = _call(api, COORDINATOR, "POST", f"{path}/answer", {"version": 1, "text": "Checked"})
        assert (answered.status_code, answered.json()["state"]) == (200, "answered")
        closed = _call(api, MONITOR, "POST", f"{path}/close", {"version": 2, "text": "OK"})
        assert (closed.status_code, closed.json()["state"]) == (200, "closed")
        reopened = _call(api, DM, "POST", f"{path}/reopen", {"version": 3, "text": "Not yet"})
        assert (reopened.status_code, reopened.json()["state"]) == (200, "re-opened")
        read = _call(api, COORDINATOR, "GET", path).json()
        assert [(m["action"], m["username"]) for m in read["messages"]] == [
            ("open", "data_manager"),
            ("answer", "coordinator-sev"),
            ("close", "monitor"),
            ("re-open", "data_manager"),
        ]


class TestRefusals:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({**QUERY_BODY, "form": "labs"}, "form"),
            ({**QUERY_BODY, "field": "colour"}, "field"),
            ({**QUERY_BODY, "text": ""}, "text"),
            ({**QUERY_BODY, "text": "   "}, "text"),
            ({**QUERY_BODY, "row_id": 0}, "row_id"),
            ({**QUERY_BODY, "extra": 1}, "extra"),
        ],
    )
    def test_bad_input_is_a_422_naming_the_field(self, api: Api, body: dict[str, Any], field: str):
        """An unknown form or field, an empty text, a bad row id or an unknown key is named."""
        patient = api.patients["SEV"].id
        answer = _call(api, DM, "POST", f"/patients/{patient}/queries", body)
        assert answer.status_code == 422
        assert field in problems(answer)

    def test_a_wrong_step_is_a_409_naming_the_state(self, api: Api):
        """Re-opening an open query is refused; the message names its state."""
        query = _open(api)
        answer = _call(api, DM, "POST", f"/queries/{query['id']}/reopen", {"version": 1, "text": "x"})
        assert answer.status_code == 409
        assert "is open" in problems(answer)["(record)"]

    def test_a_stale_version_is_a_409_with_the_current_version(self, api: Api):
        """Two people acting on one query: the second gets the current version."""
        query = _open(api)
        path = f"/queries/{query['id']}"
        assert (
            _call(api, COORDINATOR, "POST", f"{path}/answer", {"version": 1, "text": "a"}).status_code == 200
        )
        stale = _call(api, DM, "POST", f"{path}/close", {"version": 1, "text": "b"})
        assert (stale.status_code, stale.json()["current_version"]) == (409, 2)


class TestLists:
    def test_filters_by_site_state_patient_and_waiting_for_me(self, api: Api):
        """The list narrows by site code, state and who it waits for; the patient's list by state."""
        first, second = _open(api)["id"], _open(api)["id"]
        path = f"/queries/{second}/answer"
        assert _call(api, COORDINATOR, "POST", path, {"version": 1, "text": "a"}).status_code == 200

        def ids(who: Principal, url: str, **params: Any) -> list[int]:
            answer = _call(api, who, "GET", url, params=params)
            assert answer.status_code == 200, answer.text
            return [query["id"] for query in answer.json()]

        assert ids(DM, "/queries", waiting_for_me="true") == [second]
        assert ids(COORDINATOR, "/queries", waiting_for_me="true") == [first]
        assert ids(DM, "/queries", state=["open"]) == [first]
        assert ids(DM, "/queries", site="SNU") == []
        patient = api.patients["SEV"].id
        assert ids(MONITOR, f"/patients/{patient}/queries", state=["answered"]) == [second]
        assert _call(api, DM, "GET", "/queries", params={"site": "NOPE"}).status_code == 404
        assert _call(api, DM, "GET", "/queries", params={"state": "pending"}).status_code == 422
