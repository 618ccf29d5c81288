"""Therapy options and trial matches of a stored patient, with explanations, as each reader may see them."""

from __future__ import annotations

import json

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from .helpers import Api, Principal, example, patient_body

SEV = Principal(Role.INVESTIGATOR, "SEV")


def _patient(api: Api, prefix: str) -> tuple[int, dict]:
    record = example(prefix)
    answer = api.client.post(
        f"{API_PREFIX}/patients", json=patient_body(record, f"API-DS-{prefix}"), headers=api.headers(SEV)
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], record


def _get(api: Api, who: Principal, path: str) -> object:
    return api.client.get(f"{API_PREFIX}{path}", headers=api.headers(who))


def test_trial_matches_explain_each_verdict(api: Api) -> None:
    patient, _ = _patient(api, "INF-07")
    answer = _get(api, SEV, f"/patients/{patient}/trial-matches?as_of=2026-11-21")
    assert answer.status_code == 200
    (nct,) = [m for m in answer.json()["trials"] if m["trial"]["id"] == "NCT06516679"]
    assert nct["verdict"] == "needs review"
    texts = [e["text"] for e in nct["explanation"]]
    assert any('contraindication to medication": cannot be ruled out yet' in t for t in texts)


def test_therapy_options_are_grouped_one_row_per_therapy(api: Api) -> None:
    patient, _ = _patient(api, "INF-04")
    body = _get(api, SEV, f"/patients/{patient}/therapy-options").json()
    names = [row["therapy"] for row in body["by_therapy"]]
    assert len(names) == len(set(names))
    assert {row["group"] for row in body["by_therapy"]} <= {"applies now", "would apply if", "does not apply"}


def test_another_site_gets_404(api: Api) -> None:
    patient, _ = _patient(api, "INF-04")
    other = Principal(Role.INVESTIGATOR, "SNU")
    for part in ("therapy-options", "trial-matches"):
        assert _get(api, other, f"/patients/{patient}/{part}").status_code == 404


def test_a_study_level_reader_never_sees_the_date_of_birth(api: Api) -> None:
    patient, record = _patient(api, "INF-08")
    born = record["patient"]["date_of_birth"]
    for part in ("therapy-options", "trial-matches"):
        own = _get(api, SEV, f"/patients/{patient}/{part}")
        monitor = _get(api, Principal(Role.MONITOR), f"/patients/{patient}/{part}")
        assert monitor.status_code == 200
        assert born not in json.dumps(monitor.json())
        assert json.loads(json.dumps(own.json()))["study_id"] == monitor.json()["study_id"]
