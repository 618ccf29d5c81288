"""Every route's body is capped in size and JSON nesting, and NUL characters never reach the database.

The guard (:mod:`remission.api.guards`) runs before any route, so these tests send bodies to a
few routes of different kinds and expect the same answer from each: 413 for a body over
``max_body_bytes``, 422 for JSON nested deeper than ``max_json_depth``, both naming the limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from remission.api.app import API_PREFIX, create_app
from remission.api.guards import json_depth_exceeds
from remission.api.settings import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_JSON_DEPTH, Settings
from remission.errors import InputError
from remission.store.vocabulary import Role

from .helpers import EVENT_BODIES, Api, Principal, enrollment_body, make_settings, problems

INVESTIGATOR = Principal(Role.INVESTIGATOR, "SEV")


def nested(levels: int) -> Any:
    """A JSON value of ``levels`` nested objects (``{}`` is one level)."""
    value: Any = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def posts(api: Api) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """A few writing routes of different kinds, each with a valid body: (method, URL, body)."""
    seeded = api.patients["SEV"]
    patient = f"{API_PREFIX}/patients/{seeded.id}"
    return {
        "patient": ("POST", f"{API_PREFIX}/patients", {"study_id": "LIMIT-01"}),
        "patient change": ("PATCH", patient, {"version": 1, "reason": "typo"}),
        "MRD": ("POST", f"{patient}/mrd", dict(EVENT_BODIES["mrd"])),
        "enrollment": ("POST", f"{patient}/enrollments", enrollment_body(seeded.record)),
    }


def send(api: Api, method: str, url: str, body: Any) -> Any:
    return api.client.request(method, url, json=body, headers=api.headers(INVESTIGATOR))


def assert_refused(answer: Any, status: int, words: str) -> None:
    """The answer is ``status`` with one problem on ``(body)`` containing ``words``."""
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    assert [item["field"] for item in detail] == ["(body)"]
    assert words in detail[0]["problem"]


class TestBodySize:
    def test_body_over_the_limit_is_413_on_every_route(self, api: Api):
        """A body one byte over the limit gets 413 naming the limit in bytes, on each route tried."""
        limit = api.settings.max_body_bytes
        for method, url, body in posts(api).values():
            padded = {**body, "padding": ""}
            size = len(api.client.build_request(method, url, json=padded).content)
            padded["padding"] = "x" * (limit + 1 - size)
            assert len(api.client.build_request(method, url, json=padded).content) == limit + 1
            assert_refused(send(api, method, url, padded), 413, f"limit of {limit} bytes")

    def test_body_at_the_limit_reaches_the_route(self, api: Api):
        """A body of exactly the limit is not refused by the guard; the route names the unknown field."""
        limit = api.settings.max_body_bytes
        method, url, body = posts(api)["MRD"]
        padded = {**body, "padding": ""}
        padded["padding"] = "x" * (limit - len(api.client.build_request(method, url, json=padded).content))
        answer = send(api, method, url, padded)
        assert answer.status_code == 422
        assert "padding" in problems(answer)

    def test_streamed_body_without_a_length_is_counted(self, api: Api):
        """A chunked body with no Content-Length is refused with 413 once it passes the limit."""
        limit = api.settings.max_body_bytes

        def chunks() -> Iterator[bytes]:
            yield b'{"study_id": "LIMIT-02", "padding": "'
            for _ in range(limit // 65_536 + 1):
                yield b"x" * 65_536
            yield b'"}'

        headers = {**api.headers(INVESTIGATOR), "Content-Type": "application/json"}
        answer = api.client.post(f"{API_PREFIX}/patients", content=chunks(), headers=headers)
        assert_refused(answer, 413, f"limit of {limit} bytes")

    def test_declared_length_over_the_limit_is_413(self, api: Api):
        """A Content-Length over the limit is refused with 413 before the body is read."""
        limit = api.settings.max_body_bytes
        headers = {**api.headers(INVESTIGATOR), "Content-Type": "application/json"}
        request = api.client.build_request(
            "POST", f"{API_PREFIX}/patients", content=b'{"study_id": "LIMIT-03"}', headers=headers
        )
        request.headers["Content-Length"] = str(limit + 1)
        assert_refused(api.client.send(request), 413, f"limit of {limit} bytes")


class TestNestingDepth:
    def test_nesting_over_the_limit_is_422_on_every_route(self, api: Api):
        """A body one level deeper than the limit gets 422 naming the limit, on each route tried."""
        limit = api.settings.max_json_depth
        for method, url, body in posts(api).values():
            deep = {**body, "extra": nested(limit)}
            assert_refused(send(api, method, url, deep), 422, f"limit of {limit} levels")

    def test_nesting_at_the_limit_reaches_the_route(self, api: Api):
        """A body nested exactly to the limit passes the guard; the route names the unknown field."""
        method, url, body = posts(api)["MRD"]
        answer = send(api, method, url, {**body, "extra": nested(api.settings.max_json_depth - 1)})
        assert answer.status_code == 422
        assert "extra" in problems(answer)

    def test_thousands_of_levels_are_422(self, api: Api):
        """Nesting past the JSON decoder's own recursion limit is refused the same way."""
        headers = {**api.headers(INVESTIGATOR), "Content-Type": "application/json"}
        text = b'{"study_id": "DEEP-1", "baseline": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        answer = api.client.post(f"{API_PREFIX}/patients", content=text, headers=headers)
        assert_refused(answer, 422, "nested deeper")

    def test_deep_body_is_refused_before_sign_in(self, api: Api):
        """The guard answers before authentication, so a deep body needs no account to be refused."""
        answer = api.client.post(f"{API_PREFIX}/patients", json={"study_id": "X", "baseline": nested(500)})
        assert_refused(answer, 422, "nested deeper")


class TestNulInForms:
    def test_nul_in_the_token_form_is_422(self, api: Api):
        """A username or password holding NUL (sent as %00) gets 422 without signing in, never a 500."""
        api.user_id(INVESTIGATOR)
        for data in (
            {"username": "investigator\x00-sev", "password": "x"},
            {"username": INVESTIGATOR.username, "password": "correct\x00horse"},
        ):
            answer = api.client.post(f"{API_PREFIX}/auth/token", data=data)
            assert b"%00" in answer.request.content
            assert_refused(answer, 422, "NUL")

    def test_percent_zero_zero_in_json_text_is_kept(self, api: Api):
        """In a JSON body ``%00`` is three characters of text, stored as written."""
        body = {**EVENT_BODIES["adverse-events"], "term": "Rash on 100%00 of skin"}
        url = f"{API_PREFIX}/patients/{api.patients['SEV'].id}/adverse-events"
        answer = api.client.post(url, json=body, headers=api.headers(INVESTIGATOR))
        assert answer.status_code == 201, answer.text
        assert answer.json()["term"] == "Rash on 100%00 of skin"

    def test_form_typed_body_is_checked_as_a_form(self, api: Api):
        """A JSON-looking body sent as a form is checked for %00, as the form parser would decode it."""
        headers = {"Content-Type": "Application/X-WWW-Form-Urlencoded; charset=utf-8"}
        answer = api.client.post(f"{API_PREFIX}/auth/token", content=b'{"username": "a%00"}', headers=headers)
        assert_refused(answer, 422, "NUL")


class TestLimitSettings:
    def test_an_app_uses_its_settings_limits(self, api: Api):
        """Limits given in the settings are the ones the app enforces and names."""
        settings = Settings(
            environment="development",
            secret_key=make_settings().secret_key,
            token_minutes=30,
            max_body_bytes=200,
            max_json_depth=3,
        )
        with TestClient(create_app(api.store, settings), raise_server_exceptions=False) as client:
            url = f"{API_PREFIX}/patients"
            assert_refused(client.post(url, json={"padding": "x" * 200}), 413, "limit of 200 bytes")
            assert_refused(client.post(url, json={"a": {"b": {"c": {}}}}), 422, "limit of 3 levels")
            assert client.post(url, json={"a": {"b": {}}}).status_code == 401

    def test_defaults(self, monkeypatch: pytest.MonkeyPatch):
        """Without the variables a body may hold 1 MiB and nest 32 levels."""
        monkeypatch.setenv("REMISSION_ENV", "development")
        monkeypatch.delenv("REMISSION_MAX_BODY_BYTES", raising=False)
        monkeypatch.delenv("REMISSION_MAX_JSON_DEPTH", raising=False)
        settings = Settings.from_environment()
        assert (settings.max_body_bytes, settings.max_json_depth) == (1_048_576, 32)
        assert (DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_JSON_DEPTH) == (1_048_576, 32)

    def test_variables_set_the_limits(self, monkeypatch: pytest.MonkeyPatch):
        """``REMISSION_MAX_BODY_BYTES`` and ``REMISSION_MAX_JSON_DEPTH`` set the limits."""
        monkeypatch.setenv("REMISSION_ENV", "development")
        monkeypatch.setenv("REMISSION_MAX_BODY_BYTES", "5000")
        monkeypatch.setenv("REMISSION_MAX_JSON_DEPTH", "8")
        settings = Settings.from_environment()
        assert (settings.max_body_bytes, settings.max_json_depth) == (5000, 8)

    @pytest.mark.parametrize("name", ["REMISSION_MAX_BODY_BYTES", "REMISSION_MAX_JSON_DEPTH"])
    @pytest.mark.parametrize("value", ["0", "-1", "1e6", "lots", "", "²"])
    def test_bad_values_are_refused(self, monkeypatch: pytest.MonkeyPatch, name: str, value: str):
        """A limit that is not a whole number, 1 or more, is refused by name."""
        monkeypatch.setenv("REMISSION_ENV", "development")
        monkeypatch.setenv(name, value)
        with pytest.raises(InputError) as raised:
            Settings.from_environment()
        assert raised.value.source == name


class TestDepthMeasure:
    @pytest.mark.parametrize(
        ("text", "depth"),
        [(b"1", 0), (b"{}", 1), (b"[]", 1), (b'{"a": []}', 2), (b'[1, {"a": [[]]}, []]', 4), (b'"[[["', 0)],
    )
    def test_depth_is_counted_in_levels(self, text: bytes, depth: int):
        """Each array or object is one level; brackets inside strings are text."""
        assert not json_depth_exceeds(text, depth)
        assert json_depth_exceeds(text, depth - 1) == (depth > 0)

    def test_non_json_is_left_to_the_route(self):
        """A body that is not JSON (a form, Latin-1 bytes, a broken document) is not called too deep."""
        for text in (b"username=a&password=b", b"\xff\xfe[[[", b"[[[[[[", b"{'a': 1}"):
            assert not json_depth_exceeds(text, 2)
