"""Direct identifiers: read only by roles of the patient's own site, and every read is audited."""

from __future__ import annotations

from datetime import date

from remission.api.app import API_PREFIX
from remission.store import WITHHELD
from remission.store.minimum_necessary import withhold_birth_dates, withhold_in_text
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


class TestDateOfBirth:
    """Minimum necessary: the date of birth only for roles of the child's site; derived values for all."""

    def test_own_site_sees_the_date_other_readers_the_month_and_the_age(self, api: Api):
        patient = api.patients["SEV"]
        born = patient.record["patient"]["date_of_birth"]
        url = f"{API_PREFIX}/patients/{patient.id}"
        own = api.client.get(url, headers=api.headers(Role.COORDINATOR, "SEV")).json()
        assert own["date_of_birth"] == born
        for reader in (Role.STATISTICIAN, Role.MONITOR, Role.DATA_MANAGER, Role.ADMIN):
            answer = api.client.get(url, headers=api.headers(reader))
            assert answer.status_code == 200
            body = answer.json()
            assert body["date_of_birth"] is None
            assert body["birth_month"] == own["birth_month"] == born[:7]
            assert body["age_at_diagnosis_days"] == own["age_at_diagnosis_days"] is not None
            assert born not in answer.text

    def test_the_record_and_the_screening_withhold_it_by_name(self, api: Api):
        """The record keeps the field, marked withheld, so it does not read as missing."""
        patient = api.patients["SEV"]
        headers = api.headers(Role.STATISTICIAN)
        record = api.client.get(f"{API_PREFIX}/patients/{patient.id}/record", headers=headers).json()
        assert record["patient"]["date_of_birth"] == WITHHELD
        own = api.headers(Role.COORDINATOR, "SEV")
        assert (
            api.client.get(f"{API_PREFIX}/patients/{patient.id}/record", headers=own).json()["patient"][
                "date_of_birth"
            ]
            == patient.record["patient"]["date_of_birth"]
        )


def test_withholding_reaches_keys_texts_and_the_date_itself():
    born = date(2024, 1, 1)
    payload = {
        "inputs": {"patient.date_of_birth": "2024-01-01", "diagnosis.date": "2024-03-01"},
        "reason": "false: age < 365 days [recorded patient.date_of_birth=2024-01-01, x=2024-03-01]",
        "note": ["born 2024-01-01"],
        "missing": ["patient.date_of_birth"],
    }
    assert withhold_birth_dates(payload, born) == {
        "inputs": {"patient.date_of_birth": WITHHELD, "diagnosis.date": "2024-03-01"},
        "reason": f"false: age < 365 days [recorded patient.date_of_birth={WITHHELD}, x=2024-03-01]",
        "note": [f"born {WITHHELD}"],
        "missing": ["patient.date_of_birth"],
    }
    serialised = '{"date_of_birth": "2024-01-01", "x": "before patient.date_of_birth 2023-05-06"}'
    assert withhold_in_text(serialised) == (
        f'{{"date_of_birth": "{WITHHELD}", "x": "before patient.date_of_birth {WITHHELD}"}}'
    )
