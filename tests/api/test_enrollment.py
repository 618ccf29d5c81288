"""Enrollment through the API: screening, attestation of unknowns, and the risk group appearing."""

from __future__ import annotations

from typing import Any

import pytest

from remission.api.app import API_PREFIX
from remission.protocols import load_protocol
from remission.store.vocabulary import Role

from .helpers import PROTOCOL, Api, Principal, enrollment_body, example, patient_body, problems


class Course:
    """One child's course entered through the API by an investigator of their site."""

    def __init__(self, api: Api, prefix: str, site: str) -> None:
        self.api, self.record = api, example(prefix)
        self.who = Principal(Role.INVESTIGATOR, site)
        answer = self.post("/patients", patient_body(self.record, f"API-{prefix}"))
        assert answer.status_code == 201, answer.text
        self.id = answer.json()["id"]

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.api.client.post(f"{API_PREFIX}{path}", json=body, headers=self.api.headers(self.who))

    def get(self, part: str) -> Any:
        answer = self.api.client.get(
            f"{API_PREFIX}/patients/{self.id}/{part}", headers=self.api.headers(self.who)
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def add(self, part: str, body: dict[str, Any]) -> Any:
        answer = self.post(f"/patients/{self.id}/{part}", body)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def enroll(self, *, attested: bool = True) -> Any:
        return self.post(f"/patients/{self.id}/enrollments", enrollment_body(self.record, attested=attested))

    def groups(self) -> list[str]:
        return [row["risk_group"] for row in self.get("risk-assignments")]


class TestScreeningAtEnrollment:
    def test_unattested_unknown_is_refused_as_needs_review(self, api: Api):
        """Without the contraindication attestation the screening needs review: 422, nothing enrolled."""
        course = Course(api, "INF-02", "SNU")
        course.add("consents", course.record["consent"])
        answer = course.enroll(attested=False)
        assert answer.status_code == 422
        assert "attestations" in problems(answer)
        screening = answer.json()["screening"]
        assert screening["verdict"] == "needs review"
        assert screening["unresolved"] == ["excl-contraindication"]
        assert screening["failing"] == []
        assert course.get("enrollments") == []
        assert course.get("risk-assignments") == []

    def test_attested_eligible_child_is_enrolled(self, api: Api):
        """With the attestation the child is enrolled (201) with the screening and protocol version kept."""
        course = Course(api, "INF-02", "SNU")
        course.add("consents", course.record["consent"])
        answer = course.enroll()
        assert answer.status_code == 201, answer.text
        enrollment = answer.json()
        assert enrollment["verdict"] == "eligible"
        assert enrollment["protocol_id"] == PROTOCOL
        assert enrollment["protocol_version"] == load_protocol(PROTOCOL).version
        assert enrollment["enrolled_on"] == course.record["study_entry_date"]
        assert enrollment["enrolled_by"] == course.who.username
        assert enrollment["screening"]["verdict"] == "eligible"
        assert course.get("enrollments") == [enrollment]

    def test_without_consent_the_child_is_not_enrolled(self, api: Api):
        """With no consent recorded the enrollment is refused, attestation or not."""
        course = Course(api, "INF-02", "SNU")
        answer = course.enroll()
        assert answer.status_code == 422
        assert answer.json()["screening"]["verdict"] != "eligible"
        assert course.get("enrollments") == []

    def test_not_eligible_child_is_refused_with_failing_criteria(self, api: Api):
        """A child diagnosed on their first birthday is not eligible: 422 naming incl-age."""
        course = Course(api, "INF-08", "SNU")
        course.add("consents", course.record["consent"])
        answer = course.enroll()
        assert answer.status_code == 422
        assert "incl-age" in problems(answer)["verdict"]
        screening = answer.json()["screening"]
        assert screening["verdict"] == "not eligible"
        assert screening["failing"] == ["incl-age"]
        assert course.get("enrollments") == []

    def test_second_enrollment_in_the_same_protocol_is_refused(self, api: Api):
        """A child already enrolled cannot be enrolled again in the same protocol."""
        course = Course(api, "INF-02", "SNU")
        course.add("consents", course.record["consent"])
        assert course.enroll().status_code == 201
        again = course.enroll()
        assert again.status_code == 422
        assert "protocol_id" in problems(again)
        assert len(course.get("enrollments")) == 1

    def test_unknown_protocol_is_422(self, api: Api):
        """Enrollment in a protocol that is not shipped is refused."""
        course = Course(api, "INF-02", "SNU")
        body = {**enrollment_body(course.record), "protocol_id": "NCT00000000"}
        answer = course.post(f"/patients/{course.id}/enrollments", body)
        assert answer.status_code == 422
        assert course.get("enrollments") == []


def group_name(group: str) -> str:
    """The group's name as the explanation writes it, from the protocol file."""
    strat = load_protocol(PROTOCOL).stratification
    assert strat is not None
    label = next(g.label for g in strat.risk_groups if g.id == group)
    return f"{label} ({group})"


class TestRiskGroupAfterConsolidation:
    @pytest.mark.parametrize(
        ("prefix", "site", "group", "arm"),
        [("INF-02", "SNU", "IR", "IR-arm"), ("INF-04", "SEV", "HR", "HR-arm")],
        ids=["INF-02-IR", "INF-04-HR"],
    )
    def test_final_group_appears_with_the_mrd_after_consolidation_1(
        self, api: Api, prefix: str, site: str, group: str, arm: str
    ):
        """Enrolled KMT2A-r infants are pending until MRD after consolidation 1 arrives, then IR or HR."""
        course = Course(api, prefix, site)
        course.add("consents", course.record["consent"])
        assert course.enroll().status_code == 201
        assert course.groups() == ["pending"]
        end_of_induction, after_consolidation = course.record["mrd"]
        course.add("mrd", end_of_induction)
        assert course.groups()[-1] == "pending"
        course.add("mrd", after_consolidation)
        assignments = course.get("risk-assignments")
        assert [row["risk_group"] for row in assignments] == ["pending", group]
        final = assignments[-1]
        assert (final["arm"], final["protocol_id"]) == (arm, PROTOCOL)
        assert final["protocol_version"] == load_protocol(PROTOCOL).version
        assert final["result"]["risk_group"] == group
        assert final["result"]["data_date"] == after_consolidation["sample_date"]
        (deciding,) = [
            e["text"]
            for e in final["result"]["explanation"]
            if e["text"].startswith(f"{group_name(group)} applies")
        ]
        assert f"sampled {after_consolidation['sample_date']}" in deciding
        assert "cutoff 10⁻⁴ (assumption)" in deciding

    def test_deleting_the_deciding_mrd_returns_the_group_to_pending(self, api: Api):
        """When the MRD result that decided the group is deleted, the patient is pending again."""
        course = Course(api, "INF-02", "SNU")
        course.add("consents", course.record["consent"])
        assert course.enroll().status_code == 201
        row = course.add("mrd", course.record["mrd"][1])
        assert course.groups()[-1] == "IR"
        answer = api.client.delete(
            f"{API_PREFIX}/patients/{course.id}/mrd/{row['id']}",
            params={"version": row["version"], "reason": "sample mislabelled"},
            headers=api.headers(course.who),
        )
        assert answer.status_code == 204
        assert course.groups() == ["pending", "IR", "pending"]

    def test_other_site_sees_neither_enrollment_nor_risk_group(self, api: Api):
        """An investigator of the other site gets 404 for the enrolled child's enrollments and groups."""
        course = Course(api, "INF-02", "SNU")
        course.add("consents", course.record["consent"])
        assert course.enroll().status_code == 201
        other = api.headers(Principal(Role.INVESTIGATOR, "SEV"))
        for part in ("enrollments", "risk-assignments"):
            answer = api.client.get(f"{API_PREFIX}/patients/{course.id}/{part}", headers=other)
            assert answer.status_code == 404
