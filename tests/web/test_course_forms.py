"""The course forms: saving rows, messages next to fields, reasons for changes, stale versions (409)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.models import AdverseEvent, AnthracyclineDose, FollowUp, MRDMeasurement, RiskAssignment

from .support import patient_id, sign_in, signed_in_csrf

MRD_POSITIVE = {
    "time_point": "after consolidation 1",
    "method": "IG/TR RQ-PCR",
    "sample_date": "2025-12-01",
    "value_fraction": "0.001",
    "sensitivity_fraction": "0.00001",
    # The value's echo confirmed (the confirmation step: tests/web/test_mrd_units.py).
    "confirmed_value": "fraction:0.001",
}


def _field_error(html: str, field_id: str) -> str:
    """The text of the message shown under the input ``field_id``."""
    match = re.search(rf'<p class="field-error" id="{field_id}-error">(.*?)</p>', html, re.S)
    assert match, f"no message next to {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _rows(store: Store, model: type, study_id: str) -> list:
    target = patient_id(store, study_id)
    with store.session(Actor.for_system("web tests")) as session:
        return list(session.scalars(select(model).where(model.patient_id == target).order_by(model.id)))


def _post(client: TestClient, path: str, data: dict[str, str]) -> object:
    return client.post(path, data={"csrf_token": signed_in_csrf(client), **data}, follow_redirects=False)


class TestMRD:
    def test_mrd_entry_stores_a_new_risk_assignment(self, client: TestClient, web_store: Store) -> None:
        """A positive MRD after consolidation 1 for a pending KMT2A-r patient makes a final HR assignment."""
        sign_in(client, "coordinator-snu")
        target = patient_id(web_store, "INF-05")
        before = _rows(web_store, RiskAssignment, "INF-05")
        answer = _post(client, f"/patients/{target}/mrd/new", MRD_POSITIVE)
        assert answer.status_code == 303
        after = _rows(web_store, RiskAssignment, "INF-05")
        assert before[-1].risk_group == "pending"
        assert after[-1].risk_group == "HR"
        page = client.get(answer.headers["location"]).text
        assert "Risk assignment: HR" in page

    def test_a_value_out_of_range_is_reported_next_to_its_field(
        self, client: TestClient, web_store: Store
    ) -> None:
        """An MRD value above 1 comes back (422) with the message under the value input; nothing is stored."""
        sign_in(client, "coordinator-snu")
        target = patient_id(web_store, "INF-05")
        count = len(_rows(web_store, MRDMeasurement, "INF-05"))
        answer = _post(client, f"/patients/{target}/mrd/new", {**MRD_POSITIVE, "value_fraction": "2"})
        assert answer.status_code == 422
        assert _field_error(answer.text, "f-value-fraction").startswith("Error: A fraction is at most 1")
        assert 'id="f-value-fraction" name="value_fraction" aria-describedby' in answer.text
        assert len(_rows(web_store, MRDMeasurement, "INF-05")) == count

    def test_text_in_a_number_field_is_reported(self, client: TestClient, web_store: Store) -> None:
        """A value that is not a number is reported under its input with an example."""
        sign_in(client, "coordinator-snu")
        answer = _post(
            client,
            f"/patients/{patient_id(web_store, 'INF-05')}/mrd/new",
            {**MRD_POSITIVE, "value_fraction": "0.1%"},
        )
        assert "Enter a number" in _field_error(answer.text, "f-value-fraction")

    def test_value_or_not_quantifiable_is_required(self, client: TestClient, web_store: Store) -> None:
        """An MRD result with neither a value nor "positive, not quantifiable" is reported at the value."""
        sign_in(client, "coordinator-snu")
        answer = _post(
            client,
            f"/patients/{patient_id(web_store, 'INF-05')}/mrd/new",
            {**MRD_POSITIVE, "value_fraction": ""},
        )
        assert answer.status_code == 422
        assert "positive, not quantifiable" in _field_error(answer.text, "f-value-fraction")


class TestAdverseEvents:
    def test_a_grade_the_term_lacks_is_refused(self, client: TestClient, web_store: Store) -> None:
        """Febrile neutropenia at grade 2 (CTCAE v5.0 starts it at 3) is refused at the grade field."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        data = {
            "term": "Febrile neutropenia",
            "grade": "2",
            "onset_date": "2025-02-01",
            "attribution": "possible",
            "terminology": "CTCAE v5.0",
        }
        answer = _post(client, f"/patients/{target}/adverse-events/new", data)
        assert answer.status_code == 422
        assert "grades 3, 4, 5" in _field_error(answer.text, "f-grade")
        assert (
            _post(client, f"/patients/{target}/adverse-events/new", {**data, "grade": "3"}).status_code == 303
        )
        assert [(ae.term, ae.grade) for ae in _rows(web_store, AdverseEvent, "INF-01")] == [
            ("Febrile neutropenia", 3)
        ]

    def test_the_term_search_offers_ctcae_terms(self, client: TestClient, web_store: Store) -> None:
        """The adverse-event form's term input suggests the listed CTCAE terms."""
        sign_in(client, "coordinator-sev")
        page = client.get(f"/patients/{patient_id(web_store, 'INF-01')}/adverse-events/new").text
        assert 'list="f-term-list"' in page
        assert '<option value="Febrile neutropenia">' in page


class TestChanges:
    def _follow_up(self, client: TestClient, store: Store) -> tuple[int, FollowUp]:
        target = patient_id(store, "INF-01")
        _post(
            client,
            f"/patients/{target}/follow-ups/new",
            {"date": "2025-06-01", "status": "alive in remission"},
        )
        return target, _rows(store, FollowUp, "INF-01")[-1]

    def test_a_change_needs_a_reason(self, client: TestClient, web_store: Store) -> None:
        """Saving a change without a reason comes back with the message under the reason, unchanged."""
        sign_in(client, "coordinator-sev")
        target, row = self._follow_up(client, web_store)
        data = {
            "date": "2025-06-02",
            "status": "alive in remission",
            "version": str(row.version),
            "reason": " ",
        }
        answer = _post(client, f"/patients/{target}/follow-ups/{row.id}/edit", data)
        assert answer.status_code == 422
        assert "Say why" in _field_error(answer.text, "f-reason")
        assert _rows(web_store, FollowUp, "INF-01")[-1].date.isoformat() == "2025-06-01"

    def test_a_change_with_a_reason_is_in_the_audit_trail(self, client: TestClient, web_store: Store) -> None:
        """A change saved with a reason shows in the record's audit view: old and new value, reason."""
        sign_in(client, "coordinator-sev")
        target, row = self._follow_up(client, web_store)
        data = {
            "date": "2025-06-02",
            "status": "alive in remission",
            "version": str(row.version),
            "reason": "typo in date",
        }
        assert _post(client, f"/patients/{target}/follow-ups/{row.id}/edit", data).status_code == 303
        sign_in(client, "data-manager")
        audit = client.get(f"/audit?entity=follow_ups&entity_id={row.id}").text
        assert "typo in date" in audit
        assert "2025-06-01" in audit
        assert "2025-06-02" in audit

    def test_a_stale_version_gets_409_with_the_stored_values(
        self, client: TestClient, web_store: Store
    ) -> None:
        """A change on a version changed meanwhile is not saved (409); the stored values are shown."""
        sign_in(client, "coordinator-sev")
        target, row = self._follow_up(client, web_store)
        first = {
            "date": "2025-06-03",
            "status": "alive in remission",
            "version": str(row.version),
            "reason": "first",
        }
        assert _post(client, f"/patients/{target}/follow-ups/{row.id}/edit", first).status_code == 303
        second = {**first, "date": "2025-06-04", "reason": "second"}
        answer = _post(client, f"/patients/{target}/follow-ups/{row.id}/edit", second)
        assert answer.status_code == 409
        assert "Someone changed this record" in answer.text
        assert "<strong>2025-06-03</strong>" in answer.text
        assert _rows(web_store, FollowUp, "INF-01")[-1].date.isoformat() == "2025-06-03"

    def test_deleting_needs_a_reason(self, client: TestClient, web_store: Store) -> None:
        """A delete without a reason is refused; with one, the row is gone."""
        sign_in(client, "coordinator-sev")
        target, row = self._follow_up(client, web_store)
        path = f"/patients/{target}/follow-ups/{row.id}/delete"
        assert _post(client, path, {"version": str(row.version), "delete_reason": ""}).status_code == 422
        assert (
            _post(client, path, {"version": str(row.version), "delete_reason": "entered twice"}).status_code
            == 303
        )
        assert _rows(web_store, FollowUp, "INF-01") == []

    def test_a_second_death_is_a_message_not_a_crash(self, client: TestClient, web_store: Store) -> None:
        """A patient has one death: a second is refused with a message on the form."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        death = {"date": "2025-09-01", "cause": "infection"}
        assert _post(client, f"/patients/{target}/deaths/new", death).status_code == 303
        answer = _post(client, f"/patients/{target}/deaths/new", death)
        assert answer.status_code == 422
        assert "conflicts with a stored record" in answer.text


class TestAnthracyclines:
    def test_the_running_total_is_in_doxorubicin_equivalents(
        self, client: TestClient, web_store: Store
    ) -> None:
        """Doxorubicin 30 and daunorubicin 50 mg/m² (factor 0.6 in the shipped table) total 60.0 mg/m²."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        for drug, dose, day in (("doxorubicin", "30", "2025-02-01"), ("daunorubicin", "50", "2025-02-08")):
            data = {"drug": drug, "dose_mg_per_m2": dose, "date": day}
            assert _post(client, f"/patients/{target}/anthracycline-doses/new", data).status_code == 303
        assert len(_rows(web_store, AnthracyclineDose, "INF-01")) == 2
        page = client.get(f"/patients/{target}").text
        assert '<strong id="exposure-total">60.0 mg/m²</strong>' in page

    def test_the_form_previews_the_total_with_the_new_dose(
        self, client: TestClient, web_store: Store
    ) -> None:
        """The dose preview adds the typed dose's doxorubicin equivalent to the stored total."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        _post(
            client,
            f"/patients/{target}/anthracycline-doses/new",
            {"drug": "doxorubicin", "dose_mg_per_m2": "30", "date": "2025-02-01"},
        )
        answer = _post(
            client,
            f"/patients/{target}/anthracycline-doses/preview",
            {"drug": "daunorubicin", "dose_mg_per_m2": "50"},
        )
        assert answer.status_code == 200
        assert "Total with it: 60.0 mg/m²" in answer.text


class TestPhases:
    def test_the_phase_form_offers_the_protocols_phases(self, client: TestClient, web_store: Store) -> None:
        """For an enrolled patient the phase is chosen from the protocol's phases, by label."""
        sign_in(client, "coordinator-sev")
        page = client.get(f"/patients/{patient_id(web_store, 'INF-01')}/treatment-phases/new").text
        assert '<select id="f-phase-id" name="phase_id"' in page
        assert (
            '<option value="lr_consolidation_1" >Low-risk consolidation 1 (lr_consolidation_1)</option>'
            in page
        )
