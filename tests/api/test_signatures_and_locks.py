"""Signatures and locks through the API: signing with the password (§11.200), a signature invalidated by an
edit and listed for re-signing, and the data layer's refusals of frozen (409) and locked (423) data."""

from __future__ import annotations

from typing import Any

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from .helpers import PASSWORD, Api, Principal, enrollment_body, example, patient_body, problems

INVESTIGATOR = Principal(Role.INVESTIGATOR, "SEV")
DATA_MANAGER = Principal(Role.DATA_MANAGER)
ADMIN = Principal(Role.ADMIN)
MONITOR = Principal(Role.MONITOR)
AE = {
    "term": "Febrile neutropenia",
    "grade": 3,
    "serious": True,
    "attribution": "possible",
    "onset_date": "2025-08-01",
}


def call(api: Api, who: Principal, method: str, path: str, body: Any = None, **options: Any) -> Any:
    return api.client.request(method, f"{API_PREFIX}{path}", json=body, headers=api.headers(who), **options)


def enrolled_with_sae(api: Api, study_id: str) -> tuple[int, int]:
    """INF-04 at SEV, enrolled in NCT06516679, with one serious adverse event: (patient, AE row)."""
    record = example("INF-04")
    patient = call(api, INVESTIGATOR, "POST", "/patients", patient_body(record, study_id, site="SEV")).json()[
        "id"
    ]
    assert (
        call(api, INVESTIGATOR, "POST", f"/patients/{patient}/consents", record["consent"]).status_code == 201
    )
    assert (
        call(
            api, INVESTIGATOR, "POST", f"/patients/{patient}/enrollments", enrollment_body(record)
        ).status_code
        == 201
    )
    answer = call(api, INVESTIGATOR, "POST", f"/patients/{patient}/adverse-events", AE)
    assert answer.status_code == 201, answer.text
    return patient, answer.json()["id"]


def sign(api: Api, patient: int, unit: str, row_id: int | None, **credentials: Any) -> Any:
    body = {
        "units": [{"patient_id": patient, "unit": unit, "row_id": row_id}],
        "meaning": "review",
        **credentials,
    }
    return call(api, INVESTIGATOR, "POST", "/signatures", body)


class TestSigning:
    def test_the_first_signature_of_a_token_needs_the_user_name_then_the_password_suffices(
        self, api: Api
    ) -> None:
        """Without the user name the first signing is a 422 naming it; after it, the password alone signs."""
        patient, sae = enrolled_with_sae(api, "API-SIG-1")
        first = sign(api, patient, "serious-adverse-event", sae, password=PASSWORD)
        assert first.status_code == 422
        assert "username" in problems(first)
        assert (
            sign(
                api, patient, "serious-adverse-event", sae, username="investigator-sev", password=PASSWORD
            ).status_code
            == 201
        )
        later = sign(api, patient, "casebook", None, password=PASSWORD)
        assert later.status_code == 201, later.text
        (signature,) = later.json()
        assert signature["signer_name"]
        assert signature["meaning"] == "review"
        assert signature["valid"]

    def test_a_wrong_password_is_a_422_naming_the_password(self, api: Api) -> None:
        """A wrong password signs nothing and names the password field."""
        patient, sae = enrolled_with_sae(api, "API-SIG-2")
        answer = sign(
            api, patient, "serious-adverse-event", sae, username="investigator-sev", password="wrong one"
        )
        assert answer.status_code == 422
        assert "password" in problems(answer)
        assert call(api, INVESTIGATOR, "GET", f"/patients/{patient}/signatures").json() == []

    def test_an_edit_invalidates_the_signature_and_lists_it_for_re_signing(self, api: Api) -> None:
        """Changing the signed SAE shows the signature invalidated, with why, and in the re-signing list."""
        patient, sae = enrolled_with_sae(api, "API-SIG-3")
        assert (
            sign(
                api, patient, "serious-adverse-event", sae, username="investigator-sev", password=PASSWORD
            ).status_code
            == 201
        )
        change = {"version": 1, "reason": "grade corrected", "grade": 4}
        assert (
            call(api, INVESTIGATOR, "PATCH", f"/patients/{patient}/adverse-events/{sae}", change).status_code
            == 200
        )
        (signature,) = call(api, INVESTIGATOR, "GET", f"/patients/{patient}/signatures").json()
        assert signature["valid"] is False
        assert "grade" in signature["invalidated_because"]
        renew = call(api, INVESTIGATOR, "GET", "/signatures/invalidated").json()
        assert [s["id"] for s in renew] == [signature["id"]]
        required = call(api, INVESTIGATOR, "GET", f"/patients/{patient}/signatures/required").json()
        states = {(r["unit"], r["row_id"]): r["state"] for r in required}
        assert states[("serious-adverse-event", sae)].startswith("invalidated")
        assert states[("casebook", None)] == "unsigned"


class TestLocks:
    def test_frozen_data_is_a_409_yet_takes_a_query_and_locked_data_is_a_423(self, api: Api) -> None:
        """Frozen: a change is a 409 and a monitor's query is accepted; locked: a change is a 423."""
        patient, sae = enrolled_with_sae(api, "API-LOCK-1")
        freeze = {"level": "casebook", "state": "frozen", "patient_id": patient, "reason": "interim analysis"}
        assert call(api, DATA_MANAGER, "POST", "/locks", freeze).status_code == 201
        change = {"version": 1, "reason": "grade corrected", "grade": 4}
        frozen = call(api, INVESTIGATOR, "PATCH", f"/patients/{patient}/adverse-events/{sae}", change)
        assert frozen.status_code == 409
        assert "frozen" in frozen.text
        assert "API-LOCK-1" in frozen.text
        query = {
            "form": "adverse-events",
            "row_id": sae,
            "field": "grade",
            "text": "Please confirm the grade",
        }
        assert call(api, MONITOR, "POST", f"/patients/{patient}/queries", query).status_code == 201
        lock = {**freeze, "state": "locked", "override_reason": "sponsor approved"}
        assert call(api, DATA_MANAGER, "POST", "/locks", lock).status_code == 201
        assert (
            call(api, INVESTIGATOR, "PATCH", f"/patients/{patient}/adverse-events/{sae}", change).status_code
            == 423
        )

    def test_a_casebook_lock_without_signatures_is_refused_listing_them(self, api: Api) -> None:
        """Locking without the required signatures is a 422 naming them; nothing is locked."""
        patient, _ = enrolled_with_sae(api, "API-LOCK-2")
        answer = call(
            api,
            DATA_MANAGER,
            "POST",
            "/locks",
            {"level": "casebook", "state": "locked", "patient_id": patient},
        )
        assert answer.status_code == 422
        assert "serious-adverse-event" in problems(answer)["signatures"]
        assert call(api, DATA_MANAGER, "GET", "/locks", params={"patient_id": patient}).json() == []

    def test_only_an_admin_unlocks_with_a_reason(self, api: Api) -> None:
        """The data manager's unlock is a 403; the admin's, with a reason, re-opens the data."""
        patient, sae = enrolled_with_sae(api, "API-LOCK-3")
        lock = call(
            api, DATA_MANAGER, "POST", "/locks", {"level": "study", "state": "locked", "reason": "final"}
        ).json()
        release = {"version": lock["version"], "reason": "late lab correction"}
        assert call(api, DATA_MANAGER, "POST", f"/locks/{lock['id']}/release", release).status_code == 403
        released = call(api, ADMIN, "POST", f"/locks/{lock['id']}/release", release)
        assert released.status_code == 200
        assert released.json()["release_reason"] == "late lab correction"
        change = {"version": 1, "reason": "grade corrected", "grade": 4}
        assert (
            call(api, INVESTIGATOR, "PATCH", f"/patients/{patient}/adverse-events/{sae}", change).status_code
            == 200
        )
