"""Direct identifiers: read only by roles of the patient's own site, and every read is audited."""

from __future__ import annotations

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from .helpers import PRINCIPALS, Api, Principal

ADMIN = Principal(Role.ADMIN)


def identifiers_url(api: Api, site: str) -> str:
    return f"{API_PREFIX}/patients/{api.patients[site].id}/identifiers"


def identifier_reads(api: Api) -> list[dict]:
    answer = api.client.get(
        f"{API_PREFIX}/audit",
        params={"entity": "patient_identifiers", "limit": 1000},
        headers=api.headers(ADMIN),
    )
    assert answer.status_code == 200, answer.text
    return [entry for entry in answer.json() if entry["action"] == "read identifiers"]


class TestWhoReadsIdentifiers:
    def test_only_own_site_roles_read_identifiers(self, api: Api, users: tuple[Principal, ...]):
        """Investigator and coordinator of the patient's site read them; every other role gets 404."""
        assert users == PRINCIPALS
        patient = api.patients["SEV"]
        answers = {
            who.label: api.client.get(identifiers_url(api, "SEV"), headers=api.headers(who)) for who in users
        }
        allowed = {"investigator@SEV", "coordinator@SEV"}
        assert {label: a.status_code for label, a in answers.items()} == {
            who.label: 200 if who.label in allowed else 404 for who in PRINCIPALS
        }
        for label in allowed:
            body = answers[label].json()
            assert body == {
                "patient_id": patient.id,
                "full_name": patient.full_name,
                "medical_record_number": "MRN-SEED-01",
                "contact": None,
            }

    def test_identifiers_stay_out_of_pseudonymous_reads(self, api: Api):
        """The patient, its record and the patient list never carry the child's name."""
        patient = api.patients["SEV"]
        headers = api.headers(Principal(Role.STATISTICIAN))
        for url in (
            f"{API_PREFIX}/patients",
            f"{API_PREFIX}/patients/{patient.id}",
            f"{API_PREFIX}/patients/{patient.id}/record",
        ):
            answer = api.client.get(url, headers=headers)
            assert answer.status_code == 200
            assert patient.full_name not in answer.text
            assert "MRN-SEED-01" not in answer.text

    def test_patient_without_identifiers_is_404(self, api: Api):
        """A patient registered without identifiers has none to read, even for their own site."""
        headers = api.headers(Principal(Role.COORDINATOR, "SNU"))
        made = api.client.post(f"{API_PREFIX}/patients", json={"study_id": "NONAME-1"}, headers=headers)
        assert made.status_code == 201
        answer = api.client.get(f"{API_PREFIX}/patients/{made.json()['id']}/identifiers", headers=headers)
        assert answer.status_code == 404

    def test_identifiers_given_at_creation_are_read_back(self, api: Api):
        """Identifiers sent with a new patient are kept apart and read back by the site."""
        headers = api.headers(Principal(Role.COORDINATOR, "SNU"))
        identifiers = {
            "full_name": "Lee Ha-eun",
            "medical_record_number": "SNU-778",
            "contact": "+82 2 0000 0000",
        }
        made = api.client.post(
            f"{API_PREFIX}/patients",
            json={"study_id": "NAMED-1", "identifiers": identifiers},
            headers=headers,
        )
        assert made.status_code == 201
        assert "Lee Ha-eun" not in made.text
        answer = api.client.get(f"{API_PREFIX}/patients/{made.json()['id']}/identifiers", headers=headers)
        assert answer.json() == {**identifiers, "patient_id": made.json()["id"]}


class TestIdentifierReadsAreAudited:
    def test_each_read_is_an_audit_entry(self, api: Api):
        """Every successful read adds one 'read identifiers' entry naming the reader, patient row and site."""
        assert identifier_reads(api) == []
        investigator, coordinator = Principal(Role.INVESTIGATOR, "SNU"), Principal(Role.COORDINATOR, "SNU")
        for who in (investigator, coordinator, investigator):
            assert api.client.get(identifiers_url(api, "SNU"), headers=api.headers(who)).status_code == 200
        reads = identifier_reads(api)
        assert [entry["username"] for entry in reads] == [
            investigator.username,
            coordinator.username,
            investigator.username,
        ]
        assert {entry["site_id"] for entry in reads} == {api.sites["SNU"]}
        assert len({entry["entity_id"] for entry in reads}) == 1
        assert all(entry["at"].endswith("Z") for entry in reads)

    def test_refused_reads_are_not_entries(self, api: Api):
        """Reads answered 404 (other site, study-level roles) leave no read entry."""
        for who in (
            Principal(Role.INVESTIGATOR, "SEV"),
            Principal(Role.MONITOR),
            Principal(Role.DATA_MANAGER),
        ):
            assert api.client.get(identifiers_url(api, "SNU"), headers=api.headers(who)).status_code == 404
        assert identifier_reads(api) == []

    def test_reads_are_visible_to_the_monitor(self, api: Api):
        """The monitor, who reviews the trail, sees who read identifiers."""
        reader = Principal(Role.COORDINATOR, "SEV")
        api.client.get(identifiers_url(api, "SEV"), headers=api.headers(reader))
        answer = api.client.get(
            f"{API_PREFIX}/audit",
            params={"entity": "patient_identifiers"},
            headers=api.headers(Principal(Role.MONITOR)),
        )
        assert answer.status_code == 200
        assert [e["username"] for e in answer.json() if e["action"] == "read identifiers"] == [
            reader.username
        ]

    def test_audit_trail_does_not_leak_identifier_values(self, api: Api):
        """Study-level readers of the audit trail do not see names and record numbers they may not read."""
        for who in (ADMIN, Principal(Role.DATA_MANAGER), Principal(Role.MONITOR)):
            answer = api.client.get(f"{API_PREFIX}/audit", params={"limit": 1000}, headers=api.headers(who))
            assert answer.status_code == 200
            assert api.patients["SEV"].full_name not in answer.text
            assert "MRN-SEED-01" not in answer.text
