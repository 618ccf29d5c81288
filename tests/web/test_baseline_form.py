"""The baseline correction form (issue 15, item 4): stored values shown, a reason required, field-named
messages, no partial writes, the audit trail keeps the reason, and the store's role and site rules."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from remission.store import Actor, get_patient, read_audit
from remission.store.database import Store
from remission.web.wizard import fusions_text

from .support import JUNK, patient_id, sign_in, signed_in_csrf


def _stored(store: Store, study_id: str):
    with store.session(Actor.for_system("web tests")) as session:
        patient = get_patient(session, patient_id=patient_id(store, study_id))
        return dict(patient.baseline), patient.version


def _form(client: TestClient, target: int) -> dict[str, str]:
    """The form as the page fills it in (every input with its shown value)."""
    page = client.get(f"/patients/{target}/baseline").text
    values = dict(re.findall(r'<input type="(?:date|text)"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    selected = r'name="([^"]+)"[^>]*>\s*(?:<option[^>]*>[^<]*</option>\s*)*?<option value="([^"]*)" selected'
    values |= dict(re.findall(selected, page))
    values |= dict(re.findall(r'<textarea rows="3" id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', page))
    values["version"] = re.search(r'name="version" value="(\d+)"', page).group(1)
    values["csrf_token"] = signed_in_csrf(client)
    return values


def _error(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field_id}-error">(.*?)</p>', html, re.S)
    assert match, f"no message next to {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Error: ", "").strip()


class TestForm:
    def test_the_form_shows_the_stored_values(self, client: TestClient, web_store: Store) -> None:
        """Date of diagnosis, KMT2A, WBC, CNS status and the immunophenotype are filled in as stored."""
        sign_in(client, "coordinator-sev")
        form = _form(client, patient_id(web_store, "INF-01"))
        assert form["diagnosis.date"] == "2024-12-31"
        assert form["genetics.kmt2a.status"] == "germline"
        assert form["wbc_at_diagnosis_1e9_per_l"] == "24.6"
        assert form["cns_status"] == "CNS1"
        assert form["diagnosis.immunophenotype"].startswith("CD19: positive, CD10: positive")

    def test_a_correction_is_saved_with_its_reason_in_the_audit_trail(
        self, client: TestClient, web_store: Store
    ) -> None:
        """A new WBC with a reason is stored, other sections kept, and the trail has old, new and reason."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        before, version = _stored(web_store, "INF-01")
        form = _form(client, target) | {"wbc_at_diagnosis_1e9_per_l": "31.2", "reason": "lab report re-read"}
        answer = client.post(f"/patients/{target}/baseline", data=form, follow_redirects=False)
        assert answer.status_code == 303, answer.text[:2000]
        after, new_version = _stored(web_store, "INF-01")
        assert after["wbc_at_diagnosis_1e9_per_l"] == 31.2
        assert after["genetics"] == before["genetics"]  # method, fusions, ph_status kept
        assert after["diagnosis"] == before["diagnosis"]
        assert new_version == version + 1
        with web_store.session(Actor.for_system("web tests")) as session:
            entries = read_audit(session, entity="patients", entity_id=target, limit=100)
        change = [e for e in entries if e["field"] == "baseline" and e["reason"] == "lab report re-read"]
        assert change
        assert "24.6" in (change[-1]["old_value"] or "")
        assert "31.2" in (change[-1]["new_value"] or "")

    def test_fusions_and_ph_status_are_corrected_and_shown_back(
        self, client: TestClient, web_store: Store
    ) -> None:
        """The findings therapy options read are on the form: fusions (``none`` = tested, none found)
        and the Ph status; a malformed fusion is refused under its input, nothing written."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        shown = _form(client, target)
        assert shown["genetics.fusions"] == fusions_text(
            _stored(web_store, "INF-01")[0]["genetics"].get("fusions")
        )
        bad = shown | {"genetics.fusions": "KMT2A/AFF1", "reason": "typo"}
        refused = client.post(f"/patients/{target}/baseline", data=bad, follow_redirects=False)
        assert refused.status_code == 422
        assert "is not a gene fusion in HGNC notation" in _error(refused.text, "f-genetics-fusions")
        good = _form(client, target) | {
            "genetics.fusions": "ETV6::RUNX1",
            "genetics.ph_status": "negative",
            "reason": "cytogenetics report",
        }
        saved = client.post(f"/patients/{target}/baseline", data=good, follow_redirects=False)
        assert saved.status_code == 303, saved.text[:2000]
        genetics = _stored(web_store, "INF-01")[0]["genetics"]
        assert (genetics["fusions"], genetics["ph_status"]) == (["ETV6::RUNX1"], "negative")
        assert _form(client, target)["genetics.fusions"] == "ETV6::RUNX1"

    def test_the_unchanged_form_writes_nothing(self, client: TestClient, web_store: Store) -> None:
        """Saving the form as shown (with a reason) goes back to the patient and keeps the version."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        before = _stored(web_store, "INF-01")
        form = _form(client, target) | {"reason": "looked again"}
        answer = client.post(f"/patients/{target}/baseline", data=form, follow_redirects=False)
        assert answer.status_code == 303
        assert _stored(web_store, "INF-01") == before

    def test_a_reason_is_required(self, client: TestClient, web_store: Store) -> None:
        """Without a reason the form comes back (422) with the message under the reason; nothing changes."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        before = _stored(web_store, "INF-01")
        form = _form(client, target) | {"cns_status": "CNS2", "reason": " "}
        answer = client.post(f"/patients/{target}/baseline", data=form)
        assert answer.status_code == 422
        assert "Say why" in _error(answer.text, "f-reason")
        assert _stored(web_store, "INF-01") == before

    def test_one_bad_value_writes_nothing(self, client: TestClient, web_store: Store) -> None:
        """A diagnosis date in the future beside a valid WBC change: 422 under the date, and no change."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        before = _stored(web_store, "INF-01")
        future = (date.today() + timedelta(days=3)).isoformat()
        form = _form(client, target) | {
            "diagnosis.date": future,
            "wbc_at_diagnosis_1e9_per_l": "40",
            "reason": "r",
        }
        answer = client.post(f"/patients/{target}/baseline", data=form)
        assert answer.status_code == 422
        assert "in the future" in _error(answer.text, "f-diagnosis-date")
        assert _stored(web_store, "INF-01") == before

    @pytest.mark.parametrize(
        ("name", "value", "field_id", "words"),
        [
            (
                "wbc_at_diagnosis_1e9_per_l",
                "-1",
                "f-wbc-at-diagnosis-1e9-per-l",
                "greater than or equal to 0",
            ),
            ("wbc_at_diagnosis_1e9_per_l", "lots", "f-wbc-at-diagnosis-1e9-per-l", "Enter a number"),
            ("diagnosis.date", "2025-02-30", "f-diagnosis-date", "YYYY-MM-DD"),
            ("diagnosis.immunophenotype", "CD19 maybe", "f-diagnosis-immunophenotype", "not a marker"),
            (
                "genetics.kmt2a.partner",
                "AFF1",
                "f-genetics-kmt2a-partner",
                "only recorded when status is rearranged",
            ),
            ("cns_status", "CNS9", "f-cns-status", "Choose one of the listed options"),
        ],
    )
    def test_each_bad_value_is_named_under_its_input(
        self, client: TestClient, web_store: Store, name: str, value: str, field_id: str, words: str
    ) -> None:
        """A value the form or the record model refuses is reported under its own input (422)."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        before = _stored(web_store, "INF-01")
        answer = client.post(
            f"/patients/{target}/baseline", data=_form(client, target) | {name: value, "reason": "r"}
        )
        assert answer.status_code == 422
        assert words in _error(answer.text, field_id)
        assert _stored(web_store, "INF-01") == before

    def test_a_stale_version_is_409_with_the_stored_values(
        self, client: TestClient, web_store: Store
    ) -> None:
        """A form read before someone else's change comes back (409) and saves nothing."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        form = _form(client, target)
        first = client.post(
            f"/patients/{target}/baseline",
            data=form | {"cns_status": "CNS2", "reason": "first"},
            follow_redirects=False,
        )
        assert first.status_code == 303
        stale = client.post(
            f"/patients/{target}/baseline", data=form | {"cns_status": "CNS3", "reason": "second"}
        )
        assert stale.status_code == 409
        assert "Someone changed this patient" in stale.text
        assert _stored(web_store, "INF-01")[0]["cns_status"] == "CNS2"

    def test_kmt2a_correction_re_stratifies(self, client: TestClient, web_store: Store) -> None:
        """Correcting INF-01's KMT2A to rearranged changes the risk shown on the patient page."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        form = _form(client, target) | {"genetics.kmt2a.status": "rearranged", "reason": "FISH re-read"}
        answer = client.post(f"/patients/{target}/baseline", data=form)
        assert answer.status_code == 200
        assert "Saved" in answer.text
        assert 'class="risk risk-LR"' not in answer.text.split('id="risk"')[1].split("</section>")[0]

    @pytest.mark.parametrize("junk", JUNK)
    def test_junk_is_answered_without_a_server_error(
        self, client: TestClient, web_store: Store, junk: str
    ) -> None:
        """The same bad value in every input is refused below 500 and no markup is echoed."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-01")
        form = {name: junk for name in _form(client, target) if name != "csrf_token"}
        answer = client.post(
            f"/patients/{target}/baseline", data=form | {"csrf_token": signed_in_csrf(client)}
        )
        assert answer.status_code < 500
        assert "<script>alert(1)</script>" not in answer.text


class TestWho:
    def test_another_sites_coordinator_gets_404(self, client: TestClient, web_store: Store) -> None:
        """An SNU coordinator neither opens nor posts SEV's INF-01 baseline; nothing changes."""
        target = patient_id(web_store, "INF-01")
        sign_in(client, "coordinator-sev")
        form = _form(client, target) | {"cns_status": "CNS3", "reason": "r"}
        before = _stored(web_store, "INF-01")
        sign_in(client, "coordinator-snu")
        assert client.get(f"/patients/{target}/baseline").status_code == 404
        form["csrf_token"] = signed_in_csrf(client)
        assert client.post(f"/patients/{target}/baseline", data=form).status_code == 404
        assert _stored(web_store, "INF-01") == before

    @pytest.mark.parametrize("username", ["monitor", "statistician"])
    def test_read_only_roles_get_403_and_no_link(
        self, client: TestClient, web_store: Store, username: str
    ) -> None:
        """Roles that may not write see no correction link and get 403 for the form and a forged POST."""
        target = patient_id(web_store, "INF-01")
        sign_in(client, username)
        assert "Correct baseline data" not in client.get(f"/patients/{target}").text
        assert client.get(f"/patients/{target}/baseline").status_code == 403
        answer = client.post(
            f"/patients/{target}/baseline",
            data={"csrf_token": signed_in_csrf(client), "version": "1", "cns_status": "CNS3", "reason": "r"},
        )
        assert answer.status_code == 403

    def test_a_data_manager_may_correct_any_site(self, client: TestClient, web_store: Store) -> None:
        """The store lets a data manager write every site, so the form is theirs too."""
        sign_in(client, "data-manager")
        target = patient_id(web_store, "INF-02")
        assert "Correct baseline data" in client.get(f"/patients/{target}").text
        form = _form(client, target) | {"cns_status": "CNS2", "reason": "source data verification"}
        assert (
            client.post(f"/patients/{target}/baseline", data=form, follow_redirects=False).status_code == 303
        )
        assert _stored(web_store, "INF-02")[0]["cns_status"] == "CNS2"
