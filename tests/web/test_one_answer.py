"""One answer across the product: the patient page and the API record agree on trial matches."""

from __future__ import annotations

import html as html_text
import re

from fastapi.testclient import TestClient

from remission.api.app import API_PREFIX
from remission.record.model import PatientRecord
from remission.rules.truth import Truth
from remission.store.database import Store
from remission.trials import load_shipped_trial, match_trials

from .support import INFANT, PASSWORD, TODAY, example_wizard_form, patient_id, sign_in, signed_in_csrf

TRIAL = "NCT06516679"
ATTEST = {
    "attest.excl-contraindication": "not met",
    "attestation.attested_by": "Dr. Min-ji Park",
    "attestation.role": "investigator",
}


def _page_match(page: str, trial_id: str) -> tuple[str, str]:
    """The verdict and the explanation lines the patient page shows for ``trial_id``."""
    match = re.search(
        rf'<span class="muted">{trial_id}</span>:\s*<span class="verdict[^"]*">([^<]+)</span>'
        r"(.*?)</li>\s*</ul>",
        page,
        re.S,
    )
    assert match, f"{trial_id} is not among the trial matches"
    return match.group(1), html_text.unescape(match.group(2))


class TestAttestedEnrollment:
    def test_page_and_api_record_agree_after_an_attested_enrollment(
        self, client: TestClient, web_store: Store
    ) -> None:
        """Enrolled with the contraindication attested, page and API record agree it is settled."""
        sign_in(client, "coordinator-sev")
        form = example_wizard_form("WEB-ONE-01", **INFANT) | ATTEST
        answer = client.post(
            "/enroll", data={"csrf_token": signed_in_csrf(client), **form}, follow_redirects=False
        )
        assert answer.status_code == 303
        target = patient_id(web_store, "WEB-ONE-01")

        verdict, lines = _page_match(client.get(f"/patients/{target}").text, TRIAL)
        assert verdict != "needs review"
        assert "excl-contraindication" not in lines

        token = client.post(
            f"{API_PREFIX}/auth/token", data={"username": "coordinator-sev", "password": PASSWORD}
        ).json()["access_token"]
        body = client.get(
            f"{API_PREFIX}/patients/{target}/record", headers={"Authorization": f"Bearer {token}"}
        ).json()
        (attestation,) = body["attestations"]
        assert (attestation["protocol_id"], attestation["criterion_id"]) == (TRIAL, "excl-contraindication")
        report = match_trials(PatientRecord.model_validate(body), [load_shipped_trial(TRIAL)], as_of=TODAY)
        (match,) = report.matches
        assert match.verdict.value == verdict
        status = {c.id: c.status for c in match.screening.criteria}
        assert status["excl-contraindication"] is Truth.NOT_MET

    def test_an_unenrolled_patient_still_needs_the_attestation(
        self, client: TestClient, web_store: Store
    ) -> None:
        """A registered, unenrolled infant's page still asks to attest the contraindication."""
        sign_in(client, "coordinator-sev")
        form = example_wizard_form("WEB-ONE-02", **INFANT) | ATTEST | {"action": "register"}
        answer = client.post(
            "/enroll", data={"csrf_token": signed_in_csrf(client), **form}, follow_redirects=False
        )
        assert answer.status_code == 303
        page = client.get(f"/patients/{patient_id(web_store, 'WEB-ONE-02')}").text
        verdict, lines = _page_match(page, TRIAL)
        assert verdict == "needs review"
        assert (
            'contraindication to medication": cannot be ruled out yet: a named person must attest it' in lines
        )
