"""``GET /api/v1/patients/{id}/fhir``: the patient's R4B Bundle, site-isolated, audited as an export."""

from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from .helpers import Api, Principal


def test_the_own_sites_patient_is_a_valid_bundle_and_its_export_is_audited(api: Api) -> None:
    """200 with application/fhir+json for the patient's site; the trail has one fhir export entry."""
    target = api.patients["SNU"].id
    who = Principal(Role.INVESTIGATOR, "SNU")
    answer = api.client.get(f"{API_PREFIX}/patients/{target}/fhir", headers=api.headers(who))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate(answer.json())
    patients = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Patient"]
    assert [p.identifier[0].value for p in patients] == ["SEED-02"]
    trail = api.client.get(
        f"{API_PREFIX}/audit",
        params={"entity": "patients", "entity_id": target, "action": "export"},
        headers=api.headers(Principal(Role.ADMIN)),
    ).json()
    assert [(entry["username"], "format=fhir" in entry["new_value"]) for entry in trail] == [
        (who.username, True)
    ]


def test_another_sites_patient_is_not_found(api: Api) -> None:
    """A coordinator of SEV asking for SNU's patient gets 404, as for a missing patient."""
    target = api.patients["SNU"].id
    answer = api.client.get(
        f"{API_PREFIX}/patients/{target}/fhir", headers=api.headers(Principal(Role.COORDINATOR, "SEV"))
    )
    assert answer.status_code == 404
