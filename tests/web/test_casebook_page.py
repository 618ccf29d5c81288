"""The patient page links the casebook PDF; the link serves the PDF generated for the viewer."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.documents.casebook_world import pdf_text

from remission.store import Actor, AuditAction, read_audit
from remission.store.database import Store

from .support import patient_id, sign_in


def test_the_patient_page_links_the_casebook_pdf(client: TestClient, web_store: Store) -> None:
    """A coordinator's patient page offers "Casebook PDF" pointing at the patient's casebook."""
    sign_in(client, "coordinator-sev")
    target = patient_id(web_store, "INF-01")
    page = client.get(f"/patients/{target}").text
    assert f'href="/patients/{target}/casebook.pdf" id="casebook-pdf">Casebook PDF' in page


def test_the_link_serves_the_viewers_casebook_and_logs_it(client: TestClient, web_store: Store) -> None:
    """Following the link downloads the PDF of that patient, generated for the viewer, and audits it."""
    sign_in(client, "coordinator-sev")
    target = patient_id(web_store, "INF-01")
    answer = client.get(f"/patients/{target}/casebook.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == 'attachment; filename="casebook-INF-01.pdf"'
    text = pdf_text(answer.content)
    assert "Casebook of INF-01" in text
    assert "(coordinator-sev)" in text
    with web_store.session(Actor.for_system("test")) as session:
        entries = read_audit(session, entity="patients", entity_id=target, action=AuditAction.EXPORT)
    assert [entry["username"] for entry in entries] == ["coordinator-sev"]
