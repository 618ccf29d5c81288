"""Signing in and out: cookie attributes, CSRF, expiry, and the session kept apart from API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from remission.api.settings import Settings
from remission.store.database import Store
from remission.web import create_web_app
from remission.web.auth import (
    MAX_SESSION,
    SESSION_COOKIE,
    issue_session_token,
    needs_refresh,
    read_session_token,
)

from .support import csrf_of, make_settings, patient_id, sign_in, signed_in_csrf


class TestSignIn:
    def test_session_cookie_is_httponly_and_lax(self, client: TestClient) -> None:
        """A successful sign-in sets an HttpOnly, SameSite=Lax session cookie (not Secure in development)."""
        answer = sign_in(client, "coordinator-sev")
        assert answer.status_code == 303
        cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v)
        assert "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower()
        assert "Secure" not in cookie

    def test_cookie_is_secure_outside_development(self, web_store: Store) -> None:
        """Outside development the session cookie carries the Secure attribute."""
        production = make_settings("production")
        with TestClient(create_web_app(web_store, production), base_url="https://testserver") as secure:
            answer = sign_in(secure, "coordinator-sev")
        cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v)
        assert "Secure" in cookie

    def test_wrong_password_is_refused_on_the_page(self, client: TestClient) -> None:
        """A wrong password answers 401 with the message on the sign-in page and no session cookie."""
        answer = sign_in(client, "coordinator-sev", "not-the-password")
        assert answer.status_code == 401
        assert "Wrong username or password." in answer.text
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")

    def test_sign_in_without_its_csrf_token_is_refused(self, client: TestClient) -> None:
        """A sign-in POST without the form's CSRF token is refused (login CSRF)."""
        client.get("/sign-in")
        answer = client.post("/sign-in", data={"username": "coordinator-sev", "password": "remission-demo"})
        assert answer.status_code == 403
        assert SESSION_COOKIE not in client.cookies

    def test_next_cannot_lead_to_another_host(self, client: TestClient) -> None:
        """After sign-in, a ``next`` naming another host goes to the start page instead."""
        page = client.get("/sign-in")
        answer = client.post(
            "/sign-in",
            data={
                "username": "coordinator-sev",
                "password": "remission-demo",
                "csrf_token": csrf_of(page.text),
                "next": "//evil.example/",
            },
            follow_redirects=False,
        )
        assert answer.headers["location"] == "/"


class TestSession:
    def test_pages_need_a_session(self, client: TestClient) -> None:
        """Without a session a page redirects to the sign-in page, keeping where to go back to."""
        answer = client.get("/patients?status=enrolled", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?next=/patients%3Fstatus%3Denrolled")

    def test_expired_session_asks_to_sign_in_again(self, client: TestClient, settings: Settings) -> None:
        """An expired session cookie leads to the sign-in page saying the session expired."""
        past = datetime.now(UTC) - timedelta(hours=2)
        client.cookies.set(SESSION_COOKIE, issue_session_token(1, settings=settings, now=past))
        answer = client.get("/patients")
        assert answer.url.path == "/sign-in"
        assert "Your session has expired" in answer.text

    def test_session_never_outlasts_the_maximum(self, settings: Settings) -> None:
        """A token refreshed late in a session expires at the session's maximum length, not later."""
        started = datetime.now(UTC) - MAX_SESSION + timedelta(minutes=5)
        token = issue_session_token(1, settings=settings, started=started)
        import jwt

        claims = jwt.decode(token, settings.secret_key, algorithms=["HS256"], audience="remission-web")
        assert claims["exp"] <= int((started + MAX_SESSION).timestamp())

    def test_an_old_token_is_refreshed_with_the_same_session(self, settings: Settings) -> None:
        """A token older than the refresh interval is due for renewal; a fresh one is not."""
        old = read_session_token(
            issue_session_token(1, settings=settings, now=datetime.now(UTC) - timedelta(minutes=5)),
            settings=settings,
        )
        fresh = read_session_token(issue_session_token(1, settings=settings), settings=settings)
        assert old is not None
        assert fresh is not None
        assert needs_refresh(old)
        assert not needs_refresh(fresh)

    def test_session_cookie_is_not_an_api_token(self, client: TestClient) -> None:
        """The session token is refused as a bearer token by the API (a different audience)."""
        sign_in(client, "data-manager")
        token = client.cookies[SESSION_COOKIE]
        answer = client.get("/api/v1/patients", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401

    def test_sign_out_ends_the_session(self, client: TestClient) -> None:
        """After signing out, pages ask to sign in again."""
        sign_in(client, "coordinator-sev")
        token = signed_in_csrf(client)
        answer = client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 303
        assert client.get("/patients", follow_redirects=False).status_code == 303

    def test_form_without_csrf_token_is_refused(self, client: TestClient, web_store: Store) -> None:
        """A signed-in POST without the session's CSRF token is refused and stores nothing."""
        sign_in(client, "coordinator-snu")
        target = patient_id(web_store, "INF-05")
        answer = client.post(
            f"/patients/{target}/follow-ups/new", data={"date": "2025-01-01", "status": "alive in remission"}
        )
        assert answer.status_code == 403
        assert "Form refused" in answer.text
        page = client.get(f"/patients/{target}")
        assert "Follow-up: alive in remission" not in page.text
