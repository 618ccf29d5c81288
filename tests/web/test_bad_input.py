"""Bad input to any page form is answered with a message, never a server error."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from remission.store import COURSE_KINDS
from remission.store.database import Store
from remission.web.fields import FIELDS
from remission.web.wizard import FIELDS as WIZARD_FIELDS

from .support import JUNK, patient_id, sign_in, signed_in_csrf


@pytest.mark.parametrize("junk", JUNK)
def test_course_forms_answer_bad_input_without_a_server_error(
    client: TestClient, web_store: Store, junk: str
) -> None:
    """Every course form, given the same bad value in every field, answers below 500 and echoes no markup."""
    sign_in(client, "coordinator-sev")
    token = signed_in_csrf(client)
    target = patient_id(web_store, "INF-01")
    for spec in COURSE_KINDS:
        data = {field.name: junk for field in FIELDS[spec.segment]}
        answer = client.post(f"/patients/{target}/{spec.segment}/new", data={"csrf_token": token, **data})
        assert answer.status_code < 500, spec.segment
        assert "<script>alert(1)</script>" not in answer.text


@pytest.mark.parametrize("junk", JUNK)
def test_the_wizard_answers_bad_input_without_a_server_error(client: TestClient, junk: str) -> None:
    """The wizard and its checklist, given the same bad value everywhere, answer below 500."""
    sign_in(client, "data-manager")
    token = signed_in_csrf(client)
    data = {field.name: junk for field in WIZARD_FIELDS}
    data |= {
        "site": junk,
        "protocol_id": junk,
        "study_entry_date": junk,
        "attest.excl-contraindication": junk,
    }
    for path in ("/enroll/check", "/enroll"):
        answer = client.post(path, data={"csrf_token": token, **data})
        assert answer.status_code < 500, path
        assert "<script>alert(1)</script>" not in answer.text


@pytest.mark.parametrize("junk", ["abc", "0", "-5", "2147483648"])
def test_edits_with_a_bad_version_answer_without_a_server_error(
    client: TestClient, web_store: Store, junk: str
) -> None:
    """A change or deletion naming an unusable version is refused (409 or 422), not a crash."""
    sign_in(client, "coordinator-sev")
    token = signed_in_csrf(client)
    target = patient_id(web_store, "INF-01")
    client.post(
        f"/patients/{target}/follow-ups/new",
        data={"csrf_token": token, "date": "2025-06-01", "status": "alive in remission"},
    )
    page = client.get(f"/patients/{target}").text
    row = page.split(f"/patients/{target}/follow-ups/")[1].split("/")[0]
    edit = {"csrf_token": token, "date": "2025-06-02", "status": "alive in remission", "reason": "r"}
    answer = client.post(f"/patients/{target}/follow-ups/{row}/edit", data={**edit, "version": junk})
    assert answer.status_code in (409, 422)
    delete = {"csrf_token": token, "delete_reason": "r", "version": junk}
    assert client.post(f"/patients/{target}/follow-ups/{row}/delete", data=delete).status_code in (409, 422)
