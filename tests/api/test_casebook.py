"""``GET /api/v1/patients/{id}/casebook.pdf``: a PDF named for the patient, audited as an export."""

from __future__ import annotations

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from .helpers import Api, Principal


def test_the_casebook_is_a_pdf_attachment_and_its_export_is_audited(api: Api) -> None:
    """The answer is application/pdf saved as casebook-<study id>.pdf; the audit trail has the export."""
    target = api.patients["SNU"].id
    who = Principal(Role.INVESTIGATOR, "SNU")
    answer = api.client.get(f"{API_PREFIX}/patients/{target}/casebook.pdf", headers=api.headers(who))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == 'attachment; filename="casebook-SEED-02.pdf"'
    assert answer.content.startswith(b"%PDF-")
    trail = api.client.get(
        f"{API_PREFIX}/audit",
        params={"entity": "patients", "entity_id": target, "action": "export"},
        headers=api.headers(Principal(Role.ADMIN)),
    ).json()
    assert [(entry["username"], entry["new_value"].split(" format=")[0]) for entry in trail] == [
        (who.username, "casebook of SEED-02")
    ]
