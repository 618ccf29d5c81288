"""Optimistic concurrency: changes name the version they read, and say why (audit trail)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from .helpers import Api, Principal, problems

INVESTIGATOR = Principal(Role.INVESTIGATOR, "SEV")
ADMIN = Principal(Role.ADMIN)


def mrd_row_url(api: Api) -> str:
    patient = api.patients["SEV"]
    return f"{API_PREFIX}/patients/{patient.id}/mrd/{patient.rows['mrd']}"


def audit(api: Api, **params: object) -> list[dict]:
    answer = api.client.get(
        f"{API_PREFIX}/audit", params={"limit": 1000, **params}, headers=api.headers(ADMIN)
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def decoded(value: str | None) -> object:
    """An audit value as data: the trail keeps JSON text, and dates as ISO 8601."""
    if value is None:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


class TestPatch:
    def test_patch_with_current_version_changes_the_row(self, api: Api):
        """A PATCH naming the current version is applied and the version goes up by one."""
        headers = api.headers(INVESTIGATOR)
        read = api.client.get(mrd_row_url(api), headers=headers).json()
        answer = api.client.patch(
            mrd_row_url(api),
            json={"version": read["version"], "reason": "transcription error", "value_fraction": 0.0002},
            headers=headers,
        )
        assert answer.status_code == 200
        assert answer.json()["version"] == read["version"] + 1
        assert answer.json()["value_fraction"] == 0.0002
        assert api.client.get(mrd_row_url(api), headers=headers).json()["value_fraction"] == 0.0002

    def test_patch_with_stale_version_is_409_with_the_current_version(self, api: Api):
        """A PATCH naming an old version is refused with 409 and the current version, and changes nothing."""
        headers = api.headers(INVESTIGATOR)
        first = api.client.patch(
            mrd_row_url(api),
            json={"version": 1, "reason": "first edit", "value_fraction": 0.0002},
            headers=headers,
        )
        assert first.status_code == 200
        stale = api.client.patch(
            mrd_row_url(api),
            json={"version": 1, "reason": "second edit", "value_fraction": 0.9},
            headers=headers,
        )
        assert stale.status_code == 409
        assert stale.json()["current_version"] == 2
        assert "version" in problems(stale)
        assert api.client.get(mrd_row_url(api), headers=headers).json()["value_fraction"] == 0.0002

    def test_patch_of_a_patient_with_stale_version_is_409(self, api: Api):
        """Patients are versioned the same way as course rows."""
        url = f"{API_PREFIX}/patients/{api.patients['SEV'].id}"
        headers = api.headers(INVESTIGATOR)
        body = {"version": 1, "reason": "recount", "baseline": {"wbc_at_diagnosis_1e9_per_l": 12.5}}
        assert api.client.patch(url, json=body, headers=headers).status_code == 200
        stale = api.client.patch(url, json=body, headers=headers)
        assert stale.status_code == 409
        assert stale.json()["current_version"] == 2

    def test_patch_without_reason_is_422_naming_reason(self, api: Api):
        """A PATCH without a reason (missing, empty or blank) gets 422 on ``reason`` and nothing changes."""
        headers = api.headers(INVESTIGATOR)
        for body in (
            {"version": 1, "value_fraction": 0.5},
            {"version": 1, "reason": "", "value_fraction": 0.5},
            {"version": 1, "reason": "   ", "value_fraction": 0.5},
        ):
            answer = api.client.patch(mrd_row_url(api), json=body, headers=headers)
            assert answer.status_code == 422
            assert "reason" in problems(answer)
        assert api.client.get(mrd_row_url(api), headers=headers).json()["version"] == 1

    def test_patch_without_version_is_422_naming_version(self, api: Api):
        """A PATCH that does not say which version it read is refused."""
        answer = api.client.patch(
            mrd_row_url(api), json={"reason": "r", "value_fraction": 0.5}, headers=api.headers(INVESTIGATOR)
        )
        assert answer.status_code == 422
        assert "version" in problems(answer)

    def test_two_concurrent_patches_of_one_version_let_one_win(self, api: Api):
        """Of two PATCHes racing on the same version, one is applied and the other gets 409."""
        headers = api.headers(INVESTIGATOR)
        start = threading.Barrier(2)

        def patch(value: float):
            start.wait()
            body = {"version": 1, "reason": "race", "value_fraction": value}
            return api.client.patch(mrd_row_url(api), json=body, headers=headers)

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(patch, (0.1, 0.2)))
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        (winner,) = (a for a in answers if a.status_code == 200)
        row = api.client.get(mrd_row_url(api), headers=headers).json()
        assert (row["version"], row["value_fraction"]) == (2, winner.json()["value_fraction"])


class TestDelete:
    def test_delete_without_reason_is_422_naming_reason(self, api: Api):
        """A DELETE without a reason (missing, empty or blank) gets 422 on ``reason`` and the row stays."""
        headers = api.headers(INVESTIGATOR)
        for params in ({"version": 1}, {"version": 1, "reason": ""}, {"version": 1, "reason": "  "}):
            answer = api.client.delete(mrd_row_url(api), params=params, headers=headers)
            assert answer.status_code == 422
            assert any(field.endswith("reason") for field in problems(answer))
        assert api.client.get(mrd_row_url(api), headers=headers).status_code == 200

    def test_delete_without_version_is_422(self, api: Api):
        """A DELETE that does not say which version it read is refused."""
        answer = api.client.delete(
            mrd_row_url(api), params={"reason": "dup"}, headers=api.headers(INVESTIGATOR)
        )
        assert answer.status_code == 422
        assert any(field.endswith("version") for field in problems(answer))

    def test_delete_with_stale_version_is_409(self, api: Api):
        """A DELETE naming an old version is refused with the current version and the row stays."""
        headers = api.headers(INVESTIGATOR)
        api.client.patch(
            mrd_row_url(api), json={"version": 1, "reason": "fix", "value_fraction": 0.1}, headers=headers
        )
        answer = api.client.delete(mrd_row_url(api), params={"version": 1, "reason": "dup"}, headers=headers)
        assert answer.status_code == 409
        assert answer.json()["current_version"] == 2
        assert api.client.get(mrd_row_url(api), headers=headers).status_code == 200

    def test_delete_is_204_and_the_audit_trail_keeps_old_values_and_reason(self, api: Api):
        """A DELETE with version and reason removes the row; the trail keeps each old value and the reason."""
        headers = api.headers(INVESTIGATOR)
        row = api.client.get(mrd_row_url(api), headers=headers).json()
        answer = api.client.delete(
            mrd_row_url(api), params={"version": row["version"], "reason": "entered twice"}, headers=headers
        )
        assert answer.status_code == 204
        assert answer.content == b""
        assert api.client.get(mrd_row_url(api), headers=headers).status_code == 404
        entries = [
            e for e in audit(api, entity="mrd_results", entity_id=row["id"]) if e["action"] == "delete"
        ]
        old = {e["field"]: decoded(e["old_value"]) for e in entries}
        assert {e["reason"] for e in entries} == {"entered twice"}
        assert {e["username"] for e in entries} == {INVESTIGATOR.username}
        assert {e["new_value"] for e in entries} == {None}
        assert old["time_point"] == row["time_point"]
        assert old["method"] == row["method"]
        assert old["sample_date"] == row["sample_date"]
        assert old["value_fraction"] == row["value_fraction"]
        assert old["sensitivity_fraction"] == row["sensitivity_fraction"]
        assert old["positive_not_quantifiable"] is False

    def test_patch_is_audited_with_old_and_new_value_and_reason(self, api: Api):
        """A change writes the field's old and new value and the reason to the trail."""
        headers = api.headers(INVESTIGATOR)
        row = api.client.get(mrd_row_url(api), headers=headers).json()
        api.client.patch(
            mrd_row_url(api),
            json={"version": row["version"], "reason": "lab re-report", "value_fraction": 0.25},
            headers=headers,
        )
        (entry,) = [
            e for e in audit(api, entity="mrd_results", entity_id=row["id"]) if e["action"] == "update"
        ]
        assert (entry["field"], entry["reason"]) == ("value_fraction", "lab re-report")
        assert (decoded(entry["old_value"]), decoded(entry["new_value"])) == (row["value_fraction"], 0.25)
