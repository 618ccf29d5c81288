"""Server-side sessions and account administration over the API (SQLite and PostgreSQL).

Signing out, deactivation, a role change and a password change stop bearer tokens on the very
next request, reads and writes alike, also with the per-process actor cache switched on; only
administrators manage accounts; weak passwords are refused without being echoed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from remission.api.app import API_PREFIX, create_app
from remission.store.vocabulary import Role

from .helpers import PASSWORD, Api, Principal, example, patient_body

COORDINATOR = Principal(Role.COORDINATOR, "SEV")
ADMIN = Principal(Role.ADMIN)
NEW_PASSWORD = "plinth gravel mango sofa"


@pytest.fixture
def cached(api: Api) -> Iterator[Api]:
    """The same study behind an app whose workers keep actors for a minute (the cache on)."""
    settings = dataclasses.replace(api.settings, actor_cache_seconds=60)
    with TestClient(create_app(api.store, settings), raise_server_exceptions=False) as client:
        app = Api(api.store, client, settings)
        app.sites, app.patients = api.sites, api.patients
        yield app


def fresh_headers(api: Api, principal: Principal, password: str = PASSWORD) -> dict[str, str]:
    """Bearer headers of a new sign-in (a new session), never reused from the helper's cache."""
    answer = api.sign_in(principal, password)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def read(api: Api, headers: dict[str, str]) -> int:
    return api.client.get(f"{API_PREFIX}/patients", headers=headers).status_code


def write(api: Api, headers: dict[str, str], study_id: str) -> int:
    body = patient_body(example("INF-01"), study_id, site="SEV")
    return api.client.post(f"{API_PREFIX}/patients", headers=headers, json=body).status_code


def admin_put(api: Api, user_id: int, part: str, body: dict[str, Any]) -> Any:
    return api.client.put(f"{API_PREFIX}/users/{user_id}/{part}", headers=api.headers(ADMIN), json=body)


class TestSignOut:
    def test_a_signed_out_token_is_refused_for_reads_and_writes(self, cached: Api):
        """After ``POST /auth/sign-out`` the token gets 401 on the next read and the next write."""
        headers = fresh_headers(cached, COORDINATOR)
        assert read(cached, headers) == 200
        assert write(cached, headers, "SO-01") == 201
        assert cached.client.post(f"{API_PREFIX}/auth/sign-out", headers=headers).status_code == 204
        assert read(cached, headers) == 401
        assert write(cached, headers, "SO-02") == 401

    def test_signing_out_ends_only_that_token(self, cached: Api):
        """Another token of the same user (another session) keeps working."""
        first, second = fresh_headers(cached, COORDINATOR), fresh_headers(cached, COORDINATOR)
        cached.client.post(f"{API_PREFIX}/auth/sign-out", headers=first)
        assert (read(cached, first), read(cached, second)) == (401, 200)


class TestRevocation:
    def test_deactivation_stops_tokens_at_once_and_sign_in_answers_neutrally(self, cached: Api):
        """A deactivated user's token is refused on the next read and write, despite the actor
        cache, and signing in gets the same 401 as a wrong password."""
        headers = fresh_headers(cached, COORDINATOR)
        assert read(cached, headers) == 200
        answer = admin_put(cached, cached.user_id(COORDINATOR), "active", {"active": False, "reason": "left"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["active"] is False
        assert read(cached, headers) == 401
        assert write(cached, headers, "DE-01") == 401
        refused = cached.sign_in(COORDINATOR)
        wrong = cached.sign_in(COORDINATOR, password="not-the-password-at-all")
        assert (refused.status_code, refused.json()) == (wrong.status_code, wrong.json())
        back = admin_put(
            cached, cached.user_id(COORDINATOR), "active", {"active": True, "reason": "returned"}
        )
        assert back.status_code == 200
        assert read(cached, fresh_headers(cached, COORDINATOR)) == 200

    def test_a_role_change_stops_tokens_and_applies_at_the_next_sign_in(self, cached: Api):
        """After a role change the old token is refused; a new sign-in acts with the new roles at
        once, although the old actor was cached a moment before."""
        headers = fresh_headers(cached, COORDINATOR)
        assert cached.client.get(f"{API_PREFIX}/users/me", headers=headers).json()["site_roles"] == {
            str(cached.sites["SEV"]): ["coordinator"]
        }
        roles = {"roles": [{"role": "monitor"}], "reason": "became the study monitor"}
        answer = admin_put(cached, cached.user_id(COORDINATOR), "roles", roles)
        assert answer.status_code == 200, answer.text
        assert answer.json()["roles"] == [{"role": "monitor", "site": None}]
        assert read(cached, headers) == 401
        assert write(cached, headers, "RC-01") == 401
        now = fresh_headers(cached, COORDINATOR)
        me = cached.client.get(f"{API_PREFIX}/users/me", headers=now).json()
        assert (me["study_roles"], me["site_roles"]) == (["monitor"], {})
        assert write(cached, now, "RC-02") == 403

    def test_a_password_change_stops_every_token_and_returns_a_new_one(self, cached: Api):
        """Changing one's password (old one required) ends every session of the user; the answer
        carries a working token and the new password signs in."""
        first, second = fresh_headers(cached, COORDINATOR), fresh_headers(cached, COORDINATOR)
        url = f"{API_PREFIX}/auth/password"
        wrong = cached.client.post(
            url, headers=first, json={"old_password": "nope", "new_password": NEW_PASSWORD}
        )
        assert wrong.status_code == 422
        assert wrong.json()["detail"][0]["field"] == "old_password"
        answer = cached.client.post(
            url, headers=first, json={"old_password": PASSWORD, "new_password": NEW_PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        assert (read(cached, first), read(cached, second)) == (401, 401)
        assert read(cached, {"Authorization": f"Bearer {answer.json()['access_token']}"}) == 200
        assert read(cached, fresh_headers(cached, COORDINATOR, NEW_PASSWORD)) == 200

    def test_a_weak_new_password_is_refused_without_echo(self, api: Api):
        """A common new password gets 422 naming the field, and the body does not contain it."""
        headers = fresh_headers(api, COORDINATOR)
        body = {"old_password": PASSWORD, "new_password": "qwerty123456"}
        answer = api.client.post(f"{API_PREFIX}/auth/password", headers=headers, json=body)
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["field"] == "password"
        assert "qwerty123456" not in answer.text
        assert read(api, headers) == 200


class TestAccountAdministration:
    @pytest.mark.parametrize(
        "principal",
        [Principal(Role.DATA_MANAGER), Principal(Role.MONITOR), COORDINATOR],
        ids=lambda p: p.label,
    )
    def test_only_admins_list_and_change_accounts(self, api: Api, principal: Principal):
        """Other roles get 403 on listing users, (de)activating and changing roles, and nothing changes."""
        headers = api.headers(principal)
        target = api.user_id(Principal(Role.INVESTIGATOR, "SEV"))
        assert api.client.get(f"{API_PREFIX}/users", headers=headers).status_code == 403
        active = {"active": False, "reason": "x"}
        roles = {"roles": [{"role": "admin"}], "reason": "x"}
        assert (
            api.client.put(f"{API_PREFIX}/users/{target}/active", headers=headers, json=active).status_code
            == 403
        )
        assert (
            api.client.put(f"{API_PREFIX}/users/{target}/roles", headers=headers, json=roles).status_code
            == 403
        )
        listing = api.client.get(f"{API_PREFIX}/users", headers=api.headers(ADMIN)).json()
        investigator = next(user for user in listing if user["id"] == target)
        assert investigator["active"] is True
        assert investigator["roles"] == [{"role": "investigator", "site": "SEV"}]

    def test_an_admin_lists_users_with_roles_sites_and_state(self, api: Api):
        """``GET /users`` lists every account with its roles, sites and active state, never a hash."""
        api.user_id(COORDINATOR)
        answer = api.client.get(f"{API_PREFIX}/users", headers=api.headers(ADMIN))
        assert answer.status_code == 200
        by_name = {user["username"]: user for user in answer.json()}
        assert by_name["coordinator-sev"]["roles"] == [{"role": "coordinator", "site": "SEV"}]
        assert "argon2" not in answer.text

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_a_change_without_a_reason_is_refused(self, api: Api, reason: str):
        """An empty or blank reason gets 422 and the user stays active."""
        target = api.user_id(COORDINATOR)
        answer = admin_put(api, target, "active", {"active": False, "reason": reason})
        assert answer.status_code == 422
        assert read(api, api.headers(COORDINATOR)) == 200

    def test_an_unknown_user_is_404(self, api: Api):
        """Changing a user id that does not exist gets 404."""
        assert admin_put(api, 999_999, "active", {"active": False, "reason": "x"}).status_code == 404

    @pytest.mark.parametrize("password", ["short", "password1234", "qwertyuiop12", "aaaaaaaaaaaaaaaa"])
    def test_weak_passwords_are_refused_for_new_users_without_echo(self, api: Api, password: str):
        """``POST /users`` refuses a short, common or guessable password with 422 naming the field."""
        body = {"username": "newbie", "full_name": "New Bie", "password": password, "role": "monitor"}
        answer = api.client.post(f"{API_PREFIX}/users", headers=api.headers(ADMIN), json=body)
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["field"] == "password"
        assert password not in answer.text
