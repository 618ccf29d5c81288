"""No probing for names: a taken username or study id gets the same answer as one that is free
(to a non-administrator) or held at the caller's own site (a study id at another site)."""

from __future__ import annotations

from typing import Any

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from .helpers import PASSWORD, Api, Principal, patient_body

COORDINATOR = Principal(Role.COORDINATOR, "SEV")
INVESTIGATOR = Principal(Role.INVESTIGATOR, "SEV")
ADMIN = Principal(Role.ADMIN, None)


def new_user(api: Api, principal: Principal, username: str) -> Any:
    body = {
        "username": username,
        "full_name": "Someone",
        "password": PASSWORD,
        "role": "coordinator",
        "site": "SEV",
    }
    return api.client.post(f"{API_PREFIX}/users", json=body, headers=api.headers(principal))


def new_patient(api: Api, study_id: str) -> Any:
    body = patient_body(api.patients["SEV"].record, study_id)
    return api.client.post(f"{API_PREFIX}/patients", json=body, headers=api.headers(COORDINATOR))


class TestUsernames:
    def test_non_admin_gets_one_answer_for_taken_and_free_names(self, api: Api):
        """A coordinator adding a user gets the same 403 whether the username exists or not."""
        api.user_id(INVESTIGATOR)
        taken = new_user(api, COORDINATOR, INVESTIGATOR.username)
        free = new_user(api, COORDINATOR, "nobody-by-this-name")
        assert (taken.status_code, free.status_code) == (403, 403)
        assert taken.json() == free.json()

    def test_admin_still_learns_that_a_name_is_taken(self, api: Api):
        """An administrator, who manages the accounts, is told a taken username is taken (422)."""
        api.user_id(INVESTIGATOR)
        answer = new_user(api, ADMIN, INVESTIGATOR.username)
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["field"] == "username"


class TestStudyIds:
    def test_another_sites_id_gets_the_answer_of_ones_own(self, api: Api):
        """A study id held at another site is refused exactly as one held at the caller's own site."""
        elsewhere = new_patient(api, "SEED-02")
        own = new_patient(api, "SEED-01")
        assert (elsewhere.status_code, own.status_code) == (422, 422)
        assert elsewhere.json() == {
            **own.json(),
            "detail": [{"field": "study_id", "problem": "study id 'SEED-02' is taken"}],
        }
        assert own.json()["detail"] == [{"field": "study_id", "problem": "study id 'SEED-01' is taken"}]

    def test_a_free_id_is_registered(self, api: Api):
        """A study id no site holds is registered (the refusals above are about the id, not the body)."""
        assert new_patient(api, "FREE-01").status_code == 201
