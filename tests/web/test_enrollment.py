"""The enrollment wizard and the enrollment of a registered patient, with the live eligibility checklist."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from remission.protocols import load_protocol
from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.events import create_row
from remission.store.models import AuditEntry, ConsentRecord, Enrollment, Patient, PatientIdentifiers

from .support import INFANT, TODAY, example_wizard_form, patient_id, sign_in, signed_in_csrf

ATTEST = {
    "attest.excl-contraindication": "not met",
    "attestation.attested_by": "Dr. Min-ji Park",
    "attestation.role": "investigator",
}


def _status(html: str, criterion: str) -> str:
    """The status shown on the checklist for ``criterion``."""
    match = re.search(
        rf'id="criterion-{criterion}">\s*<div class="criterion-head">\s*'
        r'<span class="truth[^"]*">([^<]+)</span>',
        html,
    )
    assert match, f"{criterion} is not on the checklist"
    return match.group(1)


def _post(client: TestClient, path: str, data: dict[str, str]):
    return client.post(path, data={"csrf_token": signed_in_csrf(client), **data}, follow_redirects=False)


def _patient(store: Store, study_id: str) -> Patient | None:
    with store.session(Actor.for_system("web tests")) as session:
        return session.scalar(select(Patient).where(Patient.study_id == study_id))


def _enrollments(store: Store, study_id: str) -> list[Enrollment]:
    with store.session(Actor.for_system("web tests")) as session:
        return list(session.scalars(select(Enrollment).join(Patient).where(Patient.study_id == study_id)))


class TestChecklist:
    def test_checklist_shows_met_not_met_and_unknown(self, client: TestClient) -> None:
        """An AML infant: age met, diagnosis not met, contraindication unknown; verdict not eligible."""
        sign_in(client, "coordinator-sev")
        form = example_wizard_form("WEB-CHK-01", **INFANT) | {"diagnosis.who_type": "AML"}
        html = _post(client, "/enroll/check", form).text
        assert _status(html, "incl-age") == "met"
        assert _status(html, "incl-diagnosis") == "not met"
        assert _status(html, "excl-contraindication") == "unknown"
        assert "<strong>Not eligible</strong>" in html

    def test_missing_data_leaves_criteria_unknown(self, client: TestClient) -> None:
        """Without a date of birth the age criterion is unknown and names, in words, what is not recorded."""
        sign_in(client, "coordinator-sev")
        form = example_wizard_form("WEB-CHK-02", **INFANT) | {"patient.date_of_birth": ""}
        html = _post(client, "/enroll/check", form).text
        assert _status(html, "incl-age") == "unknown"
        assert "age at diagnosis: unknown, date of birth not recorded. Needed: date of birth." in html
        assert "patient.date_of_birth" not in html.split('class="checklist"')[1]

    def test_attesting_an_unknown_settles_it(self, client: TestClient) -> None:
        """Attesting the contraindication as not met, by a named person, makes the infant eligible."""
        sign_in(client, "coordinator-sev")
        html = _post(client, "/enroll/check", example_wizard_form("WEB-CHK-03", **INFANT) | ATTEST).text
        assert _status(html, "excl-contraindication") == "not met"
        assert "attested not met by Dr. Min-ji Park" in html
        assert "<strong>Eligible</strong>" in html


class TestWizard:
    def test_attested_enrollment_stores_the_protocol_version(
        self, client: TestClient, web_store: Store
    ) -> None:
        """An eligible infant with the unknown attested is enrolled under the protocol's current version."""
        sign_in(client, "coordinator-sev")
        answer = _post(client, "/enroll", example_wizard_form("WEB-ENR-01", **INFANT) | ATTEST)
        assert answer.status_code == 303
        (enrollment,) = _enrollments(web_store, "WEB-ENR-01")
        assert enrollment.protocol_version == load_protocol("NCT06516679").version
        assert enrollment.verdict == "eligible"
        attested = {c["id"]: c.get("attested_by") for c in enrollment.screening["criteria"]}
        assert attested["excl-contraindication"] == "Dr. Min-ji Park"

    def test_needs_review_is_refused_and_nothing_is_stored(
        self, client: TestClient, web_store: Store
    ) -> None:
        """Without the attestation the enrollment is refused (needs review) and no patient is registered."""
        sign_in(client, "coordinator-sev")
        answer = _post(client, "/enroll", example_wizard_form("WEB-ENR-02", **INFANT))
        assert answer.status_code == 422
        assert "needs review" in answer.text
        assert _patient(web_store, "WEB-ENR-02") is None

    def test_not_eligible_is_refused_and_nothing_is_stored(
        self, client: TestClient, web_store: Store
    ) -> None:
        """A child diagnosed at two years old is refused (not eligible, incl-age) and not registered."""
        sign_in(client, "coordinator-sev")
        older = {**INFANT, "born": TODAY - timedelta(days=800)}
        answer = _post(client, "/enroll", example_wizard_form("WEB-ENR-03", **older) | ATTEST)
        assert answer.status_code == 422
        assert "not eligible: incl-age" in answer.text
        assert _patient(web_store, "WEB-ENR-03") is None

    def test_attesting_needs_a_name(self, client: TestClient, web_store: Store) -> None:
        """An attestation without the attesting person's name is refused at that field."""
        sign_in(client, "coordinator-sev")
        form = example_wizard_form("WEB-ENR-04", **INFANT) | ATTEST | {"attestation.attested_by": ""}
        answer = _post(client, "/enroll", form)
        assert answer.status_code == 422
        assert 'id="f-attestation-attested-by-error"' in answer.text
        assert _patient(web_store, "WEB-ENR-04") is None

    def test_a_taken_study_id_is_reported_at_the_field(self, client: TestClient) -> None:
        """Registering a study id that exists is refused with the message under the study id."""
        sign_in(client, "coordinator-sev")
        answer = _post(client, "/enroll", example_wizard_form("INF-01", **INFANT) | ATTEST)
        assert answer.status_code == 422
        assert re.search(r'id="f-patient-study-id-error">.*is taken', answer.text, re.S)

    def test_a_future_diagnosis_date_is_reported_at_the_field(self, client: TestClient) -> None:
        """A diagnosis dated after today is refused under the diagnosis date input."""
        sign_in(client, "coordinator-sev")
        form = (
            example_wizard_form("WEB-ENR-05", **INFANT)
            | ATTEST
            | {"diagnosis.date": (TODAY + timedelta(days=3)).isoformat()}
        )
        answer = _post(client, "/enroll", form)
        assert answer.status_code == 422
        assert re.search(r'id="f-diagnosis-date-error">.*in the future', answer.text, re.S)

    def test_registering_without_enrolling(self, client: TestClient, web_store: Store) -> None:
        """ "Save as registered" stores the patient and the identifiers apart, without an enrollment."""
        sign_in(client, "coordinator-sev")
        form = example_wizard_form("WEB-REG-01", **INFANT) | {
            "action": "register",
            "identifiers.full_name": "Kim Ha-eun",
        }
        assert _post(client, "/enroll", form).status_code == 303
        patient = _patient(web_store, "WEB-REG-01")
        assert patient is not None
        assert _enrollments(web_store, "WEB-REG-01") == []
        with web_store.session(Actor.for_system("web tests")) as session:
            names = session.scalars(
                select(PatientIdentifiers.full_name).where(PatientIdentifiers.patient_id == patient.id)
            )
            assert list(names) == ["Kim Ha-eun"]


class TestRegisteredPatient:
    def test_a_registered_patient_is_enrolled_with_an_attestation(
        self, client: TestClient, web_store: Store
    ) -> None:
        """INF-07 (needs review until the contraindication is attested) is enrolled once it is attested."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-07")
        entry = {"protocol_id": "NCT06516679", "study_entry_date": "2025-09-04"}
        refused = _post(client, f"/patients/{target}/enroll", entry)
        assert refused.status_code == 422
        assert _enrollments(web_store, "INF-07") == []
        # The demo study registers consent form versions: INF-07's consent names none, so the
        # enrollment rests on it only once a permission on a registered version is recorded.
        assert _post(client, f"/patients/{target}/enroll", entry | ATTEST).status_code == 422
        with web_store.session(Actor.for_system("web tests")) as session:
            values = {
                "given_by": "parents",
                "date": date(2025, 9, 3),
                "form_version": "synthetic ICF v2",
                "protocol_id": "NCT06516679",
            }
            create_row(session, model=ConsentRecord, patient_id=target, values=values)
        answer = _post(client, f"/patients/{target}/enroll", entry | ATTEST)
        assert answer.status_code == 303
        assert [e.protocol_id for e in _enrollments(web_store, "INF-07")] == ["NCT06516679"]

    def test_a_not_eligible_patient_cannot_be_enrolled(self, client: TestClient, web_store: Store) -> None:
        """INF-10 (consent after study entry) stays not enrolled, with the reason on the page."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-10")
        answer = _post(
            client,
            f"/patients/{target}/enroll",
            {"protocol_id": "NCT06516679", "study_entry_date": "2024-11-14"} | ATTEST,
        )
        assert answer.status_code == 422
        assert "not eligible" in answer.text
        assert _enrollments(web_store, "INF-10") == []


class TestStudyId:
    def test_an_unusable_study_id_is_reported_at_the_field(
        self, client: TestClient, web_store: Store
    ) -> None:
        """A study id with a space is refused under the study id input, while the checklist still shows."""
        sign_in(client, "coordinator-sev")
        answer = _post(client, "/enroll", example_wizard_form("WEB ENR 06", **INFANT) | ATTEST)
        assert answer.status_code == 422
        assert re.search(r'id="f-patient-study-id-error">', answer.text)
        assert 'id="criterion-incl-age"' in answer.text
        assert _patient(web_store, "WEB ENR 06") is None


class TestIdentifiers:
    def test_reading_identifiers_is_audited(self, client: TestClient, web_store: Store) -> None:
        """The site's coordinator reads the name given at registration; the read is an audit entry."""
        sign_in(client, "coordinator-sev")
        form = example_wizard_form("WEB-ID-01", **INFANT) | {
            "action": "register",
            "identifiers.full_name": "Lee Seo-yun",
        }
        _post(client, "/enroll", form)
        patient = _patient(web_store, "WEB-ID-01")
        assert patient is not None
        assert "Lee Seo-yun" in client.get(f"/patients/{patient.id}/identifiers").text
        with web_store.session(Actor.for_system("web tests")) as session:
            reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "read identifiers")).all()
        assert [(entry.username, entry.entity) for entry in reads] == [
            ("coordinator-sev", "patient_identifiers")
        ]
