"""The browser flows that write most and isolate (MRD re-stratifying, another site's patient) on PostgreSQL.

The database is made from the session's migrated template (:mod:`tests.support.databases`) and
seeded like the SQLite study; the server and the browser are those of the SQLite tests. Bad input
is sent here too, since PostgreSQL enforces column lengths that SQLite does not.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from pytest_postgresql.janitor import DatabaseJanitor
from tests.support.databases import TEMPLATE
from tests.support.postgres_server import PostgresServer

from remission.store import COURSE_KINDS
from remission.store.database import Store, make_engine
from remission.web import create_web_app
from remission.web.fields import FIELDS
from remission.web.wizard import FIELDS as WIZARD_FIELDS

from .live import LiveServer, sign_in
from .support import INFANT, JUNK, example_wizard_form, make_settings, patient_id, seed_study, signed_in_csrf
from .support import sign_in as web_sign_in


@pytest.fixture(scope="module")
def pg_study(postgres_server: PostgresServer) -> Iterator[Store]:
    """A seeded study on a fresh PostgreSQL database."""
    name = "remission_web_browser"
    janitor = DatabaseJanitor(
        user="postgres", host="127.0.0.1", port=postgres_server.port, dbname=name, template_dbname=TEMPLATE
    )
    janitor.init()
    store = Store(make_engine(postgres_server.url(name)))
    try:
        seed_study(store)
        yield store
    finally:
        store.engine.dispose()
        janitor.drop()


@pytest.fixture(scope="module")
def pg_server(pg_study: Store) -> Iterator[str]:
    live = LiveServer(create_web_app(pg_study, make_settings())).start()
    yield live.url
    live.stop()


def test_mrd_entry_makes_a_risk_assignment_appear_on_postgresql(
    page: Page, pg_server: str, pg_study: Store
) -> None:
    """On PostgreSQL too, a positive MRD after consolidation 1 turns INF-05's pending group into HR."""
    sign_in(page, pg_server, "coordinator-snu")
    page.goto(f"{pg_server}/patients/{patient_id(pg_study, 'INF-05')}/mrd/new")
    page.get_by_label("Time point (required)").select_option("after consolidation 1")
    page.get_by_label("Method (required)").select_option("IG/TR RQ-PCR")
    page.get_by_label("Sample date (required)").fill("2025-12-02")
    page.get_by_label("MRD value", exact=True).fill("0.001")
    page.get_by_label("Sensitivity (fraction)").fill("0.00001")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Confirm and save").click()
    expect(page.locator("#risk .risk")).to_have_text("HR")


def test_another_sites_patient_is_not_found_on_postgresql(
    page: Page, pg_server: str, pg_study: Store
) -> None:
    """On PostgreSQL a SEV coordinator also gets the 404 page for an SNU patient."""
    sign_in(page, pg_server, "coordinator-sev")
    answer = page.goto(f"{pg_server}/patients/{patient_id(pg_study, 'INF-02')}")
    assert answer is not None
    assert answer.status == 404


def test_bad_input_is_no_server_error_on_postgresql(pg_study: Store) -> None:
    """On PostgreSQL, which enforces column lengths, bad values in the wizard and forms answer below 500."""
    with TestClient(create_web_app(pg_study, make_settings()), raise_server_exceptions=False) as client:
        web_sign_in(client, "coordinator-sev")
        token = signed_in_csrf(client)
        target = patient_id(pg_study, "INF-01")
        for junk in JUNK:
            wizard = {field.name: junk for field in WIZARD_FIELDS} | {"action": "register"}
            assert client.post("/enroll", data={"csrf_token": token, **wizard}).status_code < 500
            valid = example_wizard_form(f"PG-JUNK-{len(junk)}", **INFANT) | {"action": "register"}
            for name in (
                "identifiers.full_name",
                "consent.form_version",
                "identifiers.medical_record_number",
            ):
                answer = client.post("/enroll", data={"csrf_token": token, **valid, name: junk or "x"})
                assert answer.status_code < 500, name
            for spec in COURSE_KINDS:
                data = {field.name: junk for field in FIELDS[spec.segment]}
                answer = client.post(
                    f"/patients/{target}/{spec.segment}/new", data={"csrf_token": token, **data}
                )
                assert answer.status_code < 500, spec.segment
