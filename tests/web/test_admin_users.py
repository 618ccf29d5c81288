"""The web session ends on the server, and the administrators' user and role page.

Signing out revokes the session in the database, so a copy of the cookie kept from before is
refused for pages (GET) and forms (POST); deactivating a user or changing their roles on
``/admin/users`` ends their session at once; other roles get 403 from the store's own check.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from remission.api.settings import Settings
from remission.store.database import Store
from remission.web import create_web_app
from remission.web.auth import SESSION_COOKIE

from .support import csrf_of, patient_id, sign_in, signed_in_csrf


def user_id(page_html: str, username: str) -> int:
    """The id in the change forms of ``username``'s row on the users page."""
    row = page_html[page_html.index(f'id="user-{username}"') :]
    match = re.search(r'action="/admin/users/(\d+)/active"', row)
    assert match, username
    return int(match.group(1))


def second_client(store: Store, settings: Settings) -> TestClient:
    return TestClient(create_web_app(store, settings), raise_server_exceptions=True)


class TestSignOutRevokes:
    def test_a_kept_cookie_is_refused_after_sign_out_for_pages_and_forms(
        self, client: TestClient, web_store: Store
    ) -> None:
        """A cookie copied before signing out no longer opens a page (GET) or saves a form (POST)."""
        sign_in(client, "coordinator-sev")
        csrf = signed_in_csrf(client)
        kept = client.cookies[SESSION_COOKIE]
        patient = patient_id(web_store, "INF-01")
        assert client.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
        client.cookies.set(SESSION_COOKIE, kept)
        page = client.get("/patients", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"].startswith("/sign-in")
        form = {"csrf_token": csrf, "date": "2025-01-02", "status": "alive", "reason": "x"}
        post = client.post(f"/patients/{patient}/follow-ups/new", data=form, follow_redirects=False)
        assert post.status_code == 303
        assert post.headers["location"].startswith("/sign-in")


class TestUsersPage:
    def test_admins_see_the_page_and_the_link(self, client: TestClient) -> None:
        """The admin's navigation links to Users; the page lists every account with roles and state."""
        sign_in(client, "admin")
        page = client.get("/admin/users")
        assert page.status_code == 200
        assert 'href="/admin/users"' in page.text
        assert "coordinator-sev" in page.text
        assert "coordinator@SEV" in page.text
        assert "argon2" not in page.text

    def test_other_roles_get_403_and_no_link(
        self, client: TestClient, web_store: Store, settings: Settings
    ) -> None:
        """A data manager and a coordinator get the 403 page for the page and each form, and no link."""
        sign_in(client, "admin")
        target = user_id(client.get("/admin/users").text, "investigator-sev")
        for username in ("data-manager", "coordinator-sev"):
            with second_client(web_store, settings) as other:
                sign_in(other, username)
                assert 'href="/admin/users"' not in other.get("/patients").text
                assert other.get("/admin/users").status_code == 403
                csrf = signed_in_csrf(other)
                data = {"csrf_token": csrf, "active": "no", "reason": "x"}
                assert other.post(f"/admin/users/{target}/active", data=data).status_code == 403
                data = {"csrf_token": csrf, "grant": "admin", "reason": "x"}
                assert other.post(f"/admin/users/{target}/roles", data=data).status_code == 403
        with second_client(web_store, settings) as investigator:
            assert sign_in(investigator, "investigator-sev").status_code == 303

    def test_deactivation_ends_the_users_session_and_sign_in(
        self, client: TestClient, web_store: Store, settings: Settings
    ) -> None:
        """Deactivating a signed-in coordinator ends their session at once (their next page asks
        to sign in) and their password no longer signs in."""
        with second_client(web_store, settings) as coordinator:
            sign_in(coordinator, "coordinator-sev")
            assert coordinator.get("/patients").status_code == 200
            sign_in(client, "admin")
            page = client.get("/admin/users")
            target = user_id(page.text, "coordinator-sev")
            data = {"csrf_token": csrf_of(page.text), "active": "no", "reason": "left the study"}
            answer = client.post(f"/admin/users/{target}/active", data=data)
            assert answer.status_code == 200
            assert "User coordinator-sev deactivated." in answer.text
            assert coordinator.get("/patients", follow_redirects=False).status_code == 303
            assert sign_in(coordinator, "coordinator-sev").status_code == 401

    def test_a_role_change_takes_effect_at_the_next_sign_in(
        self, client: TestClient, web_store: Store, settings: Settings
    ) -> None:
        """Making a coordinator a monitor ends their session; signed in again they see every site
        but may not enroll."""
        with second_client(web_store, settings) as coordinator:
            sign_in(coordinator, "coordinator-sev")
            assert 'href="/enroll"' in coordinator.get("/patients").text
            sign_in(client, "admin")
            page = client.get("/admin/users")
            target = user_id(page.text, "coordinator-sev")
            data = {"csrf_token": csrf_of(page.text), "grant": ["monitor"], "reason": "now monitoring"}
            answer = client.post(f"/admin/users/{target}/roles", data=data)
            assert answer.status_code == 200
            assert coordinator.get("/patients", follow_redirects=False).status_code == 303
            sign_in(coordinator, "coordinator-sev")
            now = coordinator.get("/patients").text
            assert 'href="/enroll"' not in now
            assert "monitor" in now

    def test_every_change_needs_a_reason_and_csrf(self, client: TestClient) -> None:
        """A form without a reason gets 422, one without the CSRF token 403; neither changes anything."""
        sign_in(client, "admin")
        page = client.get("/admin/users")
        target = user_id(page.text, "coordinator-sev")
        csrf = csrf_of(page.text)
        answer = client.post(
            f"/admin/users/{target}/active", data={"csrf_token": csrf, "active": "no", "reason": " "}
        )
        assert answer.status_code == 422
        assert "Give a reason" in answer.text
        forged = client.post(f"/admin/users/{target}/active", data={"active": "no", "reason": "forged"})
        assert forged.status_code == 403
        assert "deactivated" not in client.get("/admin/users").text

    def test_adding_a_user_refuses_a_weak_password_without_echo(self, client: TestClient) -> None:
        """A common password is refused with a message that does not repeat it; a strong one adds the user."""
        sign_in(client, "admin")
        csrf = signed_in_csrf(client, "/admin/users")
        form = {
            "csrf_token": csrf,
            "username": "new-coordinator",
            "full_name": "New Coordinator",
            "password": "qwerty123456",
            "grant": "coordinator@SEV",
            "reason": "joined the study",
        }
        refused = client.post("/admin/users", data=form)
        assert refused.status_code == 422
        assert "qwerty123456" not in refused.text
        assert "most common passwords" in refused.text
        added = client.post("/admin/users", data={**form, "password": "plinth gravel mango sofa"})
        assert added.status_code == 200
        assert "User new-coordinator added as coordinator@SEV." in added.text
