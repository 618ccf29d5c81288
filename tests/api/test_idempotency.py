"""Idempotency keys: a POST repeated with the same ``Idempotency-Key`` is answered, not redone."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import select

from remission.api.app import API_PREFIX
from remission.store.models import RoleAssignment
from remission.store.vocabulary import Role

from .helpers import EVENT_BODIES, Api, Principal, patient_body, problems

INVESTIGATOR = Principal(Role.INVESTIGATOR, "SEV")
MRD = {
    "time_point": "after consolidation 1",
    "method": "IG/TR RQ-PCR",
    "sample_date": "2025-03-04",
    "value_fraction": 0.0,
    "sensitivity_fraction": 1e-05,
}


def mrd_url(api: Api) -> str:
    return f"{API_PREFIX}/patients/{api.patients['SEV'].id}/mrd"


def post_mrd(api: Api, key: str | None, body: dict | None = None, who: Principal = INVESTIGATOR):
    headers = dict(api.headers(who))
    if key is not None:
        headers["Idempotency-Key"] = key
    return api.client.post(mrd_url(api), json=body or MRD, headers=headers)


class TestRepeatedPost:
    def test_same_key_twice_is_answered_once(self, api: Api):
        """The second POST with the same key gets the first 201 body, marked as replayed, and adds no row."""
        before = api.count_rows("mrd", api.patients["SEV"].id)
        key = str(uuid.uuid4())
        first, second = post_mrd(api, key), post_mrd(api, key)
        assert (first.status_code, second.status_code) == (201, 201)
        assert second.json() == first.json()
        assert "Idempotent-Replayed" not in first.headers
        assert second.headers["Idempotent-Replayed"] == "true"
        assert api.count_rows("mrd", api.patients["SEV"].id) == before + 1

    def test_replayed_answer_matches_the_stored_row(self, api: Api):
        """The replayed body names the one row that was made, as a later GET reads it."""
        key = str(uuid.uuid4())
        post_mrd(api, key)
        replay = post_mrd(api, key).json()
        row = api.client.get(f"{mrd_url(api)}/{replay['id']}", headers=api.headers(INVESTIGATOR))
        assert row.status_code == 200
        assert {**row.json(), "created_at": None} == {**replay, "created_at": None}

    def test_replayed_creation_time_reads_back_unchanged(self, api: Api):
        """The creation time in the (replayed) answer is the one a later GET reads, time zone included."""
        key = str(uuid.uuid4())
        post_mrd(api, key)
        replay = post_mrd(api, key).json()
        row = api.client.get(f"{mrd_url(api)}/{replay['id']}", headers=api.headers(INVESTIGATOR)).json()
        assert row["created_at"] == replay["created_at"]

    def test_same_key_with_another_body_is_422(self, api: Api):
        """Reusing a key for a different request is refused with 422 naming the key, and adds no row."""
        key = str(uuid.uuid4())
        assert post_mrd(api, key).status_code == 201
        before = api.count_rows("mrd", api.patients["SEV"].id)
        answer = post_mrd(api, key, {**MRD, "value_fraction": 0.5})
        assert answer.status_code == 422
        assert "Idempotency-Key" in problems(answer)
        assert api.count_rows("mrd", api.patients["SEV"].id) == before

    def test_same_key_on_another_route_is_422(self, api: Api):
        """A key used for an MRD result cannot be reused for an adverse event."""
        key = str(uuid.uuid4())
        assert post_mrd(api, key).status_code == 201
        url = f"{API_PREFIX}/patients/{api.patients['SEV'].id}/adverse-events"
        headers = {**api.headers(INVESTIGATOR), "Idempotency-Key": key}
        answer = api.client.post(url, json=EVENT_BODIES["adverse-events"], headers=headers)
        assert answer.status_code == 422
        assert "Idempotency-Key" in problems(answer)

    def test_keys_belong_to_one_user(self, api: Api):
        """Another user sending the same key and body makes a row of their own."""
        key = str(uuid.uuid4())
        before = api.count_rows("mrd", api.patients["SEV"].id)
        mine = post_mrd(api, key)
        theirs = post_mrd(api, key, who=Principal(Role.COORDINATOR, "SEV"))
        assert (mine.status_code, theirs.status_code) == (201, 201)
        assert "Idempotent-Replayed" not in theirs.headers
        assert theirs.json()["id"] != mine.json()["id"]
        assert api.count_rows("mrd", api.patients["SEV"].id) == before + 2

    def test_without_a_key_two_posts_make_two_rows(self, api: Api):
        """Two identical POSTs without a key make two rows."""
        before = api.count_rows("mrd", api.patients["SEV"].id)
        first, second = post_mrd(api, None), post_mrd(api, None)
        assert (first.status_code, second.status_code) == (201, 201)
        assert first.json()["id"] != second.json()["id"]
        assert api.count_rows("mrd", api.patients["SEV"].id) == before + 2

    def test_overlong_key_is_422(self, api: Api):
        """A key longer than 200 characters is refused and nothing is made."""
        before = api.count_rows("mrd", api.patients["SEV"].id)
        answer = post_mrd(api, "k" * 201)
        assert answer.status_code == 422
        assert "Idempotency-Key" in problems(answer)
        assert api.count_rows("mrd", api.patients["SEV"].id) == before

    def test_refused_request_is_not_stored_under_its_key(self, api: Api):
        """A POST refused as invalid leaves its key free for the corrected request."""
        key = str(uuid.uuid4())
        assert post_mrd(api, key, {**MRD, "value_fraction": 2}).status_code == 422
        answer = post_mrd(api, key)
        assert answer.status_code == 201
        assert "Idempotent-Replayed" not in answer.headers

    def test_patient_creation_is_idempotent(self, api: Api):
        """POST /patients repeated with its key makes one patient and answers the same body."""
        body = patient_body(api.patients["SEV"].record, "IDEM-01")
        headers = {**api.headers(INVESTIGATOR), "Idempotency-Key": "new-patient-IDEM-01"}
        first = api.client.post(f"{API_PREFIX}/patients", json=body, headers=headers)
        second = api.client.post(f"{API_PREFIX}/patients", json=body, headers=headers)
        assert (first.status_code, second.status_code) == (201, 201)
        assert second.json() == first.json()
        listed = api.client.get(f"{API_PREFIX}/patients", params={"search": "IDEM"}, headers=headers)
        assert [p["study_id"] for p in listed.json()] == ["IDEM-01"]


def move_to_site(api: Api, who: Principal, site: str) -> None:
    """Move the user of ``who`` from the site of their one role to ``site`` (as an admin would).

    The change ends the user's sessions, so their next request signs in again."""
    user_id = api.user_id(who)
    with api.store.session(api.system, reason=f"moved to {site}") as session:
        (held,) = session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user_id))
        session.delete(held)
        session.add(RoleAssignment(user_id=user_id, role=who.role, site_id=api.sites[site]))
    api.forget_headers(who)


class TestReplayAfterLostAccess:
    """A replay re-checks that the caller may still read the sites of the rows it wrote."""

    def test_patient_replay_after_losing_the_site_is_404(self, api: Api):
        """A coordinator moved off SEV (their old token now refused) signs in again and gets 404 for
        a keyed patient POST made there, not the patient."""
        coordinator = Principal(Role.COORDINATOR, "SEV")
        body = patient_body(api.patients["SEV"].record, "KEYED-01")
        headers = {**api.headers(coordinator), "Idempotency-Key": str(uuid.uuid4())}
        first = api.client.post(f"{API_PREFIX}/patients", json=body, headers=headers)
        assert first.status_code == 201, first.text
        move_to_site(api, coordinator, "SNU")
        assert api.client.post(f"{API_PREFIX}/patients", json=body, headers=headers).status_code == 401
        headers = {**api.headers(coordinator), "Idempotency-Key": headers["Idempotency-Key"]}
        replay = api.client.post(f"{API_PREFIX}/patients", json=body, headers=headers)
        assert replay.status_code == 404, replay.text
        assert problems(replay) == {"Idempotency-Key": "not found"}
        assert "KEYED-01" not in replay.text
        assert "Idempotent-Replayed" not in replay.headers
        patient = api.client.get(f"{API_PREFIX}/patients/{first.json()['id']}", headers=headers)
        assert patient.status_code == 404

    def test_course_row_replay_after_losing_the_site_is_404(self, api: Api):
        """The same holds for a course row: a replay of a keyed MRD POST after losing SEV is 404."""
        coordinator = Principal(Role.COORDINATOR, "SEV")
        key = str(uuid.uuid4())
        assert post_mrd(api, key, who=coordinator).status_code == 201
        move_to_site(api, coordinator, "SNU")
        replay = post_mrd(api, key, who=coordinator)
        assert replay.status_code == 404, replay.text
        assert "Idempotent-Replayed" not in replay.headers

    def test_replay_after_regaining_the_site_is_answered(self, api: Api):
        """Moved back to SEV, the coordinator gets the stored answer again, and no second row is made."""
        coordinator = Principal(Role.COORDINATOR, "SEV")
        key = str(uuid.uuid4())
        before = api.count_rows("mrd", api.patients["SEV"].id)
        first = post_mrd(api, key, who=coordinator)
        move_to_site(api, coordinator, "SNU")
        assert post_mrd(api, key, who=coordinator).status_code == 404
        move_to_site(api, coordinator, "SEV")
        replay = post_mrd(api, key, who=coordinator)
        assert (replay.status_code, replay.json()) == (201, first.json())
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert api.count_rows("mrd", api.patients["SEV"].id) == before + 1

    def test_study_level_reader_still_gets_the_replay(self, api: Api):
        """A data manager, who reads every site, gets a keyed patient POST replayed as before."""
        manager = Principal(Role.DATA_MANAGER)
        body = patient_body(api.patients["SEV"].record, "KEYED-02", site="SNU")
        headers = {**api.headers(manager), "Idempotency-Key": str(uuid.uuid4())}
        first = api.client.post(f"{API_PREFIX}/patients", json=body, headers=headers)
        replay = api.client.post(f"{API_PREFIX}/patients", json=body, headers=headers)
        assert (first.status_code, replay.status_code) == (201, 201)
        assert replay.json() == first.json()
        assert replay.headers["Idempotent-Replayed"] == "true"


class TestConcurrentPosts:
    def test_ten_concurrent_posts_with_one_key_make_one_row(self, api: Api):
        """Ten POSTs racing with the same key make exactly one row and all get the same 201 body."""
        before = api.count_rows("mrd", api.patients["SEV"].id)
        key = str(uuid.uuid4())
        headers = {**api.headers(INVESTIGATOR), "Idempotency-Key": key}
        start = threading.Barrier(10)

        def post(_: int):
            with TestClient(api.client.app, raise_server_exceptions=False) as client:
                start.wait()
                return client.post(mrd_url(api), json=MRD, headers=headers)

        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(post, range(10)))
        assert [a.status_code for a in answers] == [201] * 10, [a.text for a in answers]
        assert len({a.text for a in answers}) == 1
        assert api.count_rows("mrd", api.patients["SEV"].id) == before + 1
        assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 9

    def test_ten_concurrent_posts_without_a_key_make_ten_rows(self, api: Api):
        """Ten POSTs racing without a key all succeed and make ten rows."""
        before = api.count_rows("mrd", api.patients["SEV"].id)
        headers = api.headers(INVESTIGATOR)
        start = threading.Barrier(10)

        def post(_: int):
            start.wait()
            return api.client.post(mrd_url(api), json=MRD, headers=headers)

        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(post, range(10)))
        assert [a.status_code for a in answers] == [201] * 10, [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 10
        assert api.count_rows("mrd", api.patients["SEV"].id) == before + 10
