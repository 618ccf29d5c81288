"""The API's request guard covers the pages too: NUL characters in forms and oversized form bodies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from remission.api.settings import Settings
from remission.store import COURSE_KINDS, accounts
from remission.store import events as store_events
from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.vocabulary import Role
from remission.web import create_web_app

from .support import PASSWORD, csrf_of, make_settings, patient_id, sign_in, signed_in_csrf


@pytest.fixture
def bare_client(store: Store) -> Iterator[TestClient]:
    """The web app over a fresh database on each back end, with one site and one coordinator."""
    with store.session(Actor.for_system("web tests")) as session:
        accounts.add_site(session, code="SEV", name="Severance Children's Hospital")
        accounts.add_user(
            session,
            username="kim",
            full_name="Kim",
            password=PASSWORD,
            role=Role.COORDINATOR,
            site_code="SEV",
        )
    with TestClient(create_web_app(store, make_settings()), raise_server_exceptions=False) as client:
        yield client


def adverse_events(store: Store, patient: int) -> int:
    """How many adverse events ``patient`` has (read as the system)."""
    (kind,) = [spec for spec in COURSE_KINDS if spec.segment == "adverse-events"]
    with store.session(Actor.for_system("web tests")) as session:
        return len(store_events.list_rows(session, model=kind.model, patient_id=patient))


def test_nul_in_the_sign_in_form_is_refused(bare_client: TestClient) -> None:
    """A username or password holding NUL (sent as %00) gets 422 and signs nobody in, never a 500."""
    token = csrf_of(bare_client.get("/sign-in").text)
    for username, password in (("kim\x00", PASSWORD), ("nobody\x00", "x"), ("kim", PASSWORD + "\x00")):
        answer = bare_client.post(
            "/sign-in",
            data={"username": username, "password": password, "csrf_token": token, "next": "/"},
            follow_redirects=False,
        )
        assert b"%00" in answer.request.content
        assert answer.status_code == 422, answer.text
        assert "NUL" in answer.text
        assert "set-cookie" not in answer.headers
    assert sign_in(bare_client, "kim").status_code == 303


def test_nul_in_a_signed_in_form_is_refused(client: TestClient, web_store: Store) -> None:
    """A course form with a NUL in a text field is refused with 422 and stores nothing."""
    sign_in(client, "coordinator-sev")
    token = signed_in_csrf(client)
    target = patient_id(web_store, "INF-01")
    before = adverse_events(web_store, target)
    answer = client.post(
        f"/patients/{target}/adverse-events/new",
        data={
            "csrf_token": token,
            "term": "Infusion related reaction\x00",
            "grade": "2",
            "onset_date": "2025-02-01",
            "attribution": "possible",
        },
    )
    assert answer.status_code == 422
    assert "NUL" in answer.text
    assert adverse_events(web_store, target) == before


def test_oversized_form_is_413(client: TestClient, settings: Settings) -> None:
    """A form body over the size limit is refused with 413 naming the limit, before the page runs."""
    sign_in(client, "coordinator-sev")
    token = signed_in_csrf(client)
    answer = client.post(
        "/patients/1/follow-ups/new",
        data={"csrf_token": token, "date": "2025-06-01", "status": "x" * settings.max_body_bytes},
    )
    assert answer.status_code == 413
    assert f"limit of {settings.max_body_bytes} bytes" in answer.text
