"""The wizard captures the findings therapy options read: fusions, Ph status and immunophenotype."""

from __future__ import annotations

import html as html_text

from fastapi.testclient import TestClient
from sqlalchemy import select

from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.models import Patient

from .support import INFANT, example_wizard_form, patient_id, sign_in, signed_in_csrf

FINDINGS = {
    "genetics.kmt2a.status": "rearranged",
    "genetics.kmt2a.partner": "AFF1",
    "genetics.fusions": "KMT2A::AFF1",
    "genetics.ph_status": "negative",
    "diagnosis.immunophenotype.CD19": "positive",
    "diagnosis.immunophenotype.CD22": "negative",
}


def _post(client: TestClient, path: str, form: dict[str, str]):
    return client.post(path, data={"csrf_token": signed_in_csrf(client), **form}, follow_redirects=False)


def _baseline(store: Store, study_id: str) -> dict:
    with store.session(Actor.for_system("web tests")) as session:
        patient = session.scalar(select(Patient).where(Patient.study_id == study_id))
        assert patient is not None
        return dict(patient.baseline)


def test_registered_findings_are_stored_and_read_by_the_therapy_options(
    client: TestClient, web_store: Store
) -> None:
    sign_in(client, "coordinator-sev")
    form = example_wizard_form("WEB-FIND-01", **INFANT) | FINDINGS | {"action": "register"}
    assert _post(client, "/enroll", form).status_code == 303
    baseline = _baseline(web_store, "WEB-FIND-01")
    assert baseline["genetics"]["fusions"] == ["KMT2A::AFF1"]
    assert baseline["genetics"]["ph_status"] == "negative"
    assert baseline["diagnosis"]["immunophenotype"] == {"CD19": "positive", "CD22": "negative"}
    page = html_text.unescape(client.get(f"/patients/{patient_id(web_store, 'WEB-FIND-01')}").text)
    therapy = page.split('id="therapy-heading"')[1].split("</section>")[0]
    assert "gene fusions: not recorded" not in therapy
    assert "immunophenotype CD19: not recorded" not in therapy
    ponatinib = therapy.split("ponatinib")[1].split("</li>")[0]
    assert "BCR::ABL1 not found" in ponatinib


def test_none_means_tested_and_an_empty_field_means_not_tested(client: TestClient, web_store: Store) -> None:
    sign_in(client, "coordinator-sev")
    tested = example_wizard_form("WEB-FIND-02", **INFANT) | {"genetics.fusions": "none", "action": "register"}
    untested = example_wizard_form("WEB-FIND-03", **INFANT) | {"genetics.fusions": "", "action": "register"}
    assert _post(client, "/enroll", tested).status_code == 303
    assert _post(client, "/enroll", untested).status_code == 303
    assert _baseline(web_store, "WEB-FIND-02")["genetics"]["fusions"] == []
    assert "fusions" not in _baseline(web_store, "WEB-FIND-03")["genetics"]


def test_a_malformed_fusion_is_refused_at_its_field_and_nothing_is_stored(
    client: TestClient, web_store: Store
) -> None:
    sign_in(client, "coordinator-sev")
    form = example_wizard_form("WEB-FIND-04", **INFANT) | {
        "genetics.fusions": "KMT2A-AFF1",
        "action": "register",
    }
    answer = _post(client, "/enroll", form)
    assert answer.status_code == 422
    error = html_text.unescape(answer.text.split('id="f-genetics-fusions-error"')[1].split("</p>")[0])
    assert "'KMT2A-AFF1' is not a gene fusion in HGNC notation 5'GENE::3'GENE, such as KMT2A::AFF1" in error
    with web_store.session(Actor.for_system("web tests")) as session:
        assert session.scalar(select(Patient).where(Patient.study_id == "WEB-FIND-04")) is None
