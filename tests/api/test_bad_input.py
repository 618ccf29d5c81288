"""Bad input gets 422 with field-level problems (``field``, ``problem``), never a 5xx.

Tests named after former bugs pin the behaviour the API promises
(``remission.api.errors``: "nothing a client sends yields a 500") and fails today.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from .helpers import EVENT_BODIES, Api, Principal, enrollment_body, patient_body, problems

INVESTIGATOR = Principal(Role.INVESTIGATOR, "SEV")
ADMIN = Principal(Role.ADMIN)


def rows_url(api: Api, segment: str) -> str:
    return f"{API_PREFIX}/patients/{api.patients['SEV'].id}/{segment}"


def row_url(api: Api, segment: str) -> str:
    return f"{rows_url(api, segment)}/{api.patients['SEV'].rows[segment]}"


def assert_field_problems(answer: Any, *fields: str) -> dict[str, str]:
    """The answer is a 422 whose detail entries are all (field, problem) pairs naming ``fields``."""
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert detail
    assert all(set(item) == {"field", "problem"} for item in detail), detail
    assert all(isinstance(item["field"], str) and item["problem"] for item in detail), detail
    found = problems(answer)
    for name in fields:
        assert name in found, f"no problem on {name!r}: {detail}"
    return found


def post(api: Api, segment: str, body: Any) -> Any:
    return api.client.post(rows_url(api, segment), json=body, headers=api.headers(INVESTIGATOR))


class TestCourseRowBodies:
    def test_mrd_value_above_one_is_422(self, api: Api):
        """An MRD fraction of 2 (200%) is refused on ``value_fraction`` and nothing is stored."""
        before = api.count_rows("mrd", api.patients["SEV"].id)
        answer = post(api, "mrd", {**EVENT_BODIES["mrd"], "value_fraction": 2})
        assert "less than or equal to 1" in assert_field_problems(answer, "value_fraction")["value_fraction"]
        assert api.count_rows("mrd", api.patients["SEV"].id) == before

    def test_adverse_event_grade_6_is_422(self, api: Api):
        """CTCAE grades run 1 to 5: grade 6 is refused on ``grade``."""
        assert_field_problems(
            post(api, "adverse-events", {**EVENT_BODIES["adverse-events"], "grade": 6}), "grade"
        )

    def test_unknown_enum_values_are_422(self, api: Api):
        """Values outside a controlled vocabulary are refused on their field."""
        assert_field_problems(post(api, "mrd", {**EVENT_BODIES["mrd"], "method": "PCR"}), "method")
        assert_field_problems(post(api, "mrd", {**EVENT_BODIES["mrd"], "time_point": "day 15"}), "time_point")
        body = {**EVENT_BODIES["adverse-events"], "attribution": "maybe"}
        assert_field_problems(post(api, "adverse-events", body), "attribution")
        assert_field_problems(post(api, "relapses", {**EVENT_BODIES["relapses"], "site": "liver"}), "site")
        body = {**EVENT_BODIES["anthracycline-doses"], "drug": "aspirin"}
        assert post(api, "anthracycline-doses", body).status_code == 422

    def test_incomplete_or_contradictory_rows_are_422(self, api: Api):
        """A required field left out is named; an MRD result with both or neither value and PNQ is refused."""
        body = {k: v for k, v in EVENT_BODIES["adverse-events"].items() if k != "onset_date"}
        assert_field_problems(post(api, "adverse-events", body), "onset_date")
        both = {**EVENT_BODIES["mrd"], "positive_not_quantifiable": True}
        neither = {k: v for k, v in EVENT_BODIES["mrd"].items() if k != "value_fraction"}
        assert_field_problems(post(api, "mrd", both))
        assert_field_problems(post(api, "mrd", neither))

    def test_unknown_field_is_422(self, api: Api):
        """A field that is not in the schema is refused by name, not ignored."""
        answer = post(api, "mrd", {**EVENT_BODIES["mrd"], "comment": "looks fine"})
        assert_field_problems(answer, "comment")

    def test_malformed_json_is_422(self, api: Api):
        """A body that is not JSON, or not a JSON object, gets 422 with field problems, not a 400 or 500."""
        headers = {**api.headers(INVESTIGATOR), "Content-Type": "application/json"}
        for text in (b'{"time_point": ', b"{'single': 'quotes'}", b"[1, 2,]", b"\xff\xfe"):
            answer = api.client.post(rows_url(api, "mrd"), content=text, headers=headers)
            found = assert_field_problems(answer)
            assert any("JSON" in problem for problem in found.values()), found
        for body in ([EVENT_BODIES["mrd"]], "mrd", 1, None):
            assert_field_problems(post(api, "mrd", body))

    def test_wrong_types_are_422(self, api: Api):
        """Types are strict: "0.001" or "3" for a number and "yes", "true" or 1 for a boolean are refused."""
        assert_field_problems(
            post(api, "mrd", {**EVENT_BODIES["mrd"], "value_fraction": "0.001"}), "value_fraction"
        )
        body = {**EVENT_BODIES["adverse-events"], "grade": "3"}
        assert_field_problems(post(api, "adverse-events", body), "grade")
        body = {**EVENT_BODIES["adverse-events"], "grade": 2.5}
        assert_field_problems(post(api, "adverse-events", body), "grade")
        for value in ("yes", "true", 1):
            body = {**EVENT_BODIES["adverse-events"], "serious": value}
            assert_field_problems(post(api, "adverse-events", body), "serious")
        body = {**EVENT_BODIES["mrd"], "value_fraction": None, "positive_not_quantifiable": "yes"}
        assert_field_problems(post(api, "mrd", body), "positive_not_quantifiable")

    def test_bad_dates_are_422(self, api: Api):
        """A date that is not an ISO date is refused on its field."""
        for value in ("2025-02-30", "07/02/2025", "yesterday", 20250207):
            assert_field_problems(
                post(api, "mrd", {**EVENT_BODIES["mrd"], "sample_date": value}), "sample_date"
            )


class TestPatientBodies:
    def body(self, api: Api, study_id: str, **baseline: Any) -> dict[str, Any]:
        body = patient_body(api.patients["SEV"].record, study_id)
        body["baseline"] = {**body["baseline"], **baseline}
        return body

    def create(self, api: Api, body: dict[str, Any]) -> Any:
        return api.client.post(f"{API_PREFIX}/patients", json=body, headers=api.headers(INVESTIGATOR))

    def test_dates_in_the_future_are_422(self, api: Api):
        """A diagnosis or birth dated after today is refused on its field; nothing is stored."""
        future = (date.today() + timedelta(days=30)).isoformat()
        record = api.patients["SEV"].record
        answer = self.create(api, self.body(api, "BAD-01", diagnosis={**record["diagnosis"], "date": future}))
        assert "in the future" in assert_field_problems(answer, "diagnosis.date")["diagnosis.date"]
        listed = api.client.get(
            f"{API_PREFIX}/patients", params={"search": "BAD"}, headers=api.headers(INVESTIGATOR)
        )
        assert listed.json() == []
        body = {"study_id": "BAD-02", "date_of_birth": (date.today() + timedelta(days=1)).isoformat()}
        assert_field_problems(self.create(api, body), "patient.date_of_birth")

    def test_diagnosis_before_birth_is_422(self, api: Api):
        """A diagnosis dated before the date of birth is refused on ``diagnosis.date``."""
        record = api.patients["SEV"].record
        body = self.body(api, "BAD-03", diagnosis={**record["diagnosis"], "date": "2023-12-31"})
        found = assert_field_problems(self.create(api, body), "diagnosis.date")
        assert "before patient.date_of_birth" in found["diagnosis.date"]

    def test_unknown_baseline_section_is_422(self, api: Api):
        """Course data (MRD) or unknown sections in the baseline are refused by name."""
        answer = self.create(api, self.body(api, "BAD-04", mrd=[], favourite_colour="blue"))
        assert_field_problems(answer, "baseline.mrd", "baseline.favourite_colour")

    def test_wrong_types_in_the_baseline_are_422(self, api: Api):
        """The record model's strict types hold inside the baseline too."""
        answer = self.create(api, self.body(api, "BAD-05", wbc_at_diagnosis_1e9_per_l="162", prior_hsct="no"))
        assert_field_problems(answer, "wbc_at_diagnosis_1e9_per_l", "prior_hsct")

    def test_bad_or_taken_study_id_is_422(self, api: Api):
        """A study id with spaces (a name, say) or one already in use is refused on ``study_id``."""
        assert_field_problems(self.create(api, {"study_id": "Kim Min-jun"}), "study_id")
        assert_field_problems(self.create(api, {"study_id": "SEED-01"}), "study_id")

    def test_patch_with_diagnosis_before_birth_is_422(self, api: Api):
        """A change to the baseline is checked like a new one, and the patient is left as it was."""
        url = f"{API_PREFIX}/patients/{api.patients['SEV'].id}"
        record = api.patients["SEV"].record
        body = {
            "version": 1,
            "reason": "typo",
            "baseline": {"diagnosis": {**record["diagnosis"], "date": "2020-01-01"}},
        }
        answer = api.client.patch(url, json=body, headers=api.headers(INVESTIGATOR))
        assert_field_problems(answer, "diagnosis.date")
        assert api.client.get(url, headers=api.headers(INVESTIGATOR)).json()["version"] == 1

    def test_patch_baseline_null_is_422(self, api: Api):
        """A change setting the whole baseline to null is refused on ``baseline`` (it was a 500)."""
        url = f"{API_PREFIX}/patients/{api.patients['SEV'].id}"
        body = {"version": 1, "reason": "clear it", "baseline": None}
        answer = api.client.patch(url, json=body, headers=api.headers(INVESTIGATOR))
        assert_field_problems(answer, "baseline")
        stored = api.client.get(url, headers=api.headers(INVESTIGATOR)).json()
        assert stored["version"] == 1
        assert stored["baseline"]["diagnosis"] == api.patients["SEV"].record["diagnosis"]

    def test_baseline_nested_300_levels_is_422(self, api: Api):
        """A baseline nested 300 levels deep is refused naming the depth limit (was a 500); none is stored."""
        deep: Any = {}
        for _ in range(299):
            deep = {"a": deep}
        for baseline in (deep, {"diagnosis": deep}):
            answer = self.create(api, {"study_id": "DEEP-01", "baseline": baseline})
            found = assert_field_problems(answer, "(body)")
            assert f"limit of {api.settings.max_json_depth} levels" in found["(body)"]
        listed = api.client.get(
            f"{API_PREFIX}/patients", params={"search": "DEEP"}, headers=api.headers(INVESTIGATOR)
        )
        assert listed.json() == []

    def test_study_level_role_must_name_the_site(self, api: Api):
        """A data manager (no site of their own) creating a patient without a site gets 422 on ``site``."""
        answer = api.client.post(
            f"{API_PREFIX}/patients",
            json={"study_id": "NOSITE-1"},
            headers=api.headers(Principal(Role.DATA_MANAGER)),
        )
        assert_field_problems(answer, "site")

    def test_infinite_count_is_422(self, api: Api):
        """A white cell count of Infinity is refused on its field, not stored as 'not recorded'."""
        headers = {**api.headers(INVESTIGATOR), "Content-Type": "application/json"}
        text = b'{"study_id": "INF-WBC", "baseline": {"wbc_at_diagnosis_1e9_per_l": Infinity}}'
        answer = api.client.post(f"{API_PREFIX}/patients", content=text, headers=headers)
        assert_field_problems(answer, "wbc_at_diagnosis_1e9_per_l")


class TestChangeBodies:
    """PATCH bodies are derived from the create schemas; they must keep the same checks."""

    def patch(self, api: Api, segment: str, **changes: Any) -> Any:
        version = api.client.get(row_url(api, segment), headers=api.headers(INVESTIGATOR)).json()["version"]
        body = {"version": version, "reason": "correction", **changes}
        return api.client.patch(row_url(api, segment), json=body, headers=api.headers(INVESTIGATOR))

    def test_patch_keeps_the_checks_that_survive(self, api: Api):
        """A change is refused for an MRD fraction of 2, an unknown field, a value outside the vocabulary."""
        assert_field_problems(self.patch(api, "mrd", value_fraction=2), "value_fraction")
        assert_field_problems(self.patch(api, "mrd", comment="x"), "comment")
        assert_field_problems(self.patch(api, "adverse-events", attribution="maybe"), "attribution")
        assert api.client.get(row_url(api, "mrd"), headers=api.headers(INVESTIGATOR)).json()["version"] == 1

    def test_patch_adverse_event_grade_6_is_422(self, api: Api):
        """A change of an adverse event to grade 6 is refused on ``grade`` as a new one is."""
        assert_field_problems(self.patch(api, "adverse-events", grade=6), "grade")

    def test_patch_adverse_event_huge_grade_is_422(self, api: Api):
        """A grade far out of range is refused, not passed to the database."""
        answer = self.patch(api, "adverse-events", grade=10**20)
        assert answer.status_code < 500
        assert_field_problems(answer, "grade")

    def test_patch_yes_for_a_boolean_is_422(self, api: Api):
        """A change of a boolean to "yes" is refused as it is on creation."""
        assert_field_problems(self.patch(api, "adverse-events", serious="yes"), "serious")

    def test_patch_overlong_identifier_is_422(self, api: Api):
        """A phase id longer than 64 characters is refused on change as it is on creation."""
        created = post(api, "treatment-phases", EVENT_BODIES["treatment-phases"])
        assert created.status_code == 201
        url = f"{rows_url(api, 'treatment-phases')}/{created.json()['id']}"
        answer = api.client.patch(
            url,
            json={"version": 1, "reason": "typo", "phase_id": "x" * 100},
            headers=api.headers(INVESTIGATOR),
        )
        assert_field_problems(answer, "phase_id")

    def test_patch_required_field_to_null_is_422(self, api: Api):
        """Clearing a required field is refused on that field."""
        assert_field_problems(self.patch(api, "mrd", time_point=None), "time_point")

    def test_patch_mrd_to_neither_value_nor_pnq_is_422(self, api: Api):
        """An MRD result changed to have neither a value nor 'positive, not quantifiable' is refused."""
        answer = self.patch(api, "mrd", value_fraction=None)
        record = api.client.get(
            f"{API_PREFIX}/patients/{api.patients['SEV'].id}/record", headers=api.headers(INVESTIGATOR)
        )
        assert record.status_code == 200
        assert answer.status_code == 422

    def test_patch_mrd_of_enrolled_patient_to_neither_value_nor_pnq_is_422(self, api: Api):
        """For an enrolled patient the same change is refused with 422, not a 500."""
        patient = api.patients["SEV"]
        enrolled = api.client.post(
            f"{API_PREFIX}/patients/{patient.id}/enrollments",
            json=enrollment_body(patient.record),
            headers=api.headers(INVESTIGATOR),
        )
        assert enrolled.status_code == 201, enrolled.text
        answer = self.patch(api, "mrd", value_fraction=None)
        assert answer.status_code == 422


class TestPathsAndQueries:
    def test_non_numeric_ids_are_422(self, api: Api):
        """A patient or row id that is not a number is refused on the path parameter."""
        headers = api.headers(INVESTIGATOR)
        assert_field_problems(
            api.client.get(f"{API_PREFIX}/patients/abc", headers=headers), "path.patient_id"
        )
        answer = api.client.get(f"{rows_url(api, 'mrd')}/1.5", headers=headers)
        assert_field_problems(answer, "path.row_id")

    def test_out_of_range_query_values_are_422(self, api: Api):
        """Limits and offsets outside their bounds are refused on the query parameter."""
        headers = api.headers(INVESTIGATOR)
        for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}):
            answer = api.client.get(f"{API_PREFIX}/patients", params=params, headers=headers)
            assert answer.status_code == 422
        answer = api.client.get(f"{API_PREFIX}/audit", params={"limit": 5000}, headers=api.headers(ADMIN))
        assert_field_problems(answer, "query.limit")

    def test_huge_patient_id_is_not_a_500(self, api: Api):
        """An id no row can have is simply not found (or refused), never a server error."""
        answer = api.client.get(f"{API_PREFIX}/patients/{10**20}", headers=api.headers(INVESTIGATOR))
        assert answer.status_code in (404, 422)

    def test_id_beyond_32_bits_is_not_a_500(self, api: Api):
        """An id just past the 32-bit range is not found (the id columns are 32-bit on PostgreSQL)."""
        headers = api.headers(INVESTIGATOR)
        answers = [
            api.client.get(f"{API_PREFIX}/patients/{2**31}", headers=headers).status_code,
            api.client.get(f"{rows_url(api, 'mrd')}/{2**31}", headers=headers).status_code,
            api.client.get(
                f"{API_PREFIX}/audit", params={"entity_id": 2**31}, headers=api.headers(ADMIN)
            ).status_code,
        ]
        assert answers[0] in (404, 422)
        assert answers[1] in (404, 422)
        assert answers[2] in (200, 422)

    def test_nul_character_in_search_is_not_a_500(self, api: Api):
        """A search containing a NUL character finds nothing rather than failing."""
        answer = api.client.get(
            f"{API_PREFIX}/patients", params={"search": "a\x00b"}, headers=api.headers(INVESTIGATOR)
        )
        assert answer.status_code in (200, 422)

    def test_nul_character_in_a_text_field_is_not_a_500(self, api: Api):
        """A text field containing a NUL character is stored or refused, never a server error."""
        answer = post(api, "adverse-events", {**EVENT_BODIES["adverse-events"], "term": "rash\x00"})
        assert answer.status_code in (201, 422)
