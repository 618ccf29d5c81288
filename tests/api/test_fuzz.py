"""Property: no request body makes a POST or PATCH route answer 5xx.

The routes and their field names come from the OpenAPI document. Bodies are random
JSON values, or objects made of the real field names with random, realistic (valid
values of the examples, enum members, ISO dates) or wrong values. PATCH bodies
often carry the row's current version and a reason, so they reach the database.

The random values include what once caused 5xx answers (pinned as well by named
tests in ``test_bad_input.py``): NUL characters, integers far beyond 32 bits,
strings longer than the shortest column, and non-finite floats.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remission.api.app import API_PREFIX
from remission.store.models import Patient
from remission.store.vocabulary import Role

from .helpers import (
    EVENT_BODIES,
    EVENT_CHANGES,
    QUERY_BODY,
    Api,
    Principal,
    column_values,
    enrollment_body,
    example,
    patient_body,
    row_version,
    schema_app,
)

SCHEMA = schema_app().openapi()
ROW_ROUTE = re.compile(rf"^{re.escape(API_PREFIX)}/patients/\{{patient_id\}}/(?P<part>[a-z-]+)/\{{row_id\}}$")
ANSWERS = frozenset({200, 201, 204, 403, 404, 409, 422})


def _component(ref: str) -> dict[str, Any]:
    return SCHEMA["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def _enums(schema: dict[str, Any]) -> list[Any]:
    """Enum members reachable from a property schema (through $ref, anyOf, items)."""
    if "$ref" in schema:
        return _enums(_component(schema["$ref"]))
    found = list(schema.get("enum", []))
    for option in schema.get("anyOf", []) + schema.get("allOf", []):
        found += _enums(option)
    if "items" in schema:
        found += _enums(schema["items"])
    return found


def body_fields(method: str, path: str) -> dict[str, list[Any]]:
    """The JSON body's field names of a route, each with the enum members it takes."""
    content = SCHEMA["paths"][path][method.lower()]["requestBody"]["content"]["application/json"]
    properties = _component(content["schema"]["$ref"]).get("properties", {})
    return {name: _enums(prop) for name, prop in properties.items()}


def body_routes() -> list[tuple[str, str]]:
    """Every POST and PATCH route with a JSON body."""
    return sorted(
        (method.upper(), path)
        for path, item in SCHEMA["paths"].items()
        for method, operation in item.items()
        if method in ("post", "patch")
        and "application/json" in operation.get("requestBody", {}).get("content", {})
    )


def _realistic_values() -> dict[str, list[Any]]:
    """Valid values seen in the example bodies, by field name (all depths)."""
    found: dict[str, list[Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                found.setdefault(key, []).append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    record = example("INF-02")
    for body in (
        *EVENT_BODIES.values(),
        *EVENT_CHANGES.values(),
        enrollment_body(record),
        patient_body(record, "FUZZ-0", site="SEV"),
        {"code": "NEW", "name": "New site", "username": "new.user", "password": "long-enough-password"},
        {"role": "coordinator", "identifiers": {"full_name": "Kim Ji-woo"}},
    ):
        walk(body)
    return found


REALISTIC = _realistic_values()

# Any JSON: NUL characters, unbounded integers, long strings, NaN and infinities included.
text = st.text(st.characters(codec="utf-8"), max_size=300)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | text
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)
iso_dates = st.dates().map(lambda d: d.isoformat())


def field_values(name: str, enums: list[Any]) -> st.SearchStrategy[Any]:
    options = [json_values, iso_dates]
    known = [*REALISTIC.get(name, []), *enums]
    if known:
        options.append(st.sampled_from(known))
    return st.one_of(options)


def valid_bodies(method: str, path: str) -> st.SearchStrategy[dict[str, Any]] | None:
    """A valid body of the route's family, when the tests know one (unique names drawn fresh)."""
    route = path.removeprefix(API_PREFIX)
    unique = st.uuids().map(lambda u: u.hex[:12])
    if (match := re.match(r"^/patients/\{patient_id\}/([a-z-]+)(/\{row_id\})?$", route)) is not None:
        part, item = match.groups()
        if method == "POST" and part == "enrollments":
            return st.just(enrollment_body(example("INF-01")))
        if method == "POST" and part == "queries":
            return st.just(QUERY_BODY)
        families = EVENT_CHANGES if item else EVENT_BODIES
        return st.just(families[part]) if part in families else None
    if re.match(r"^/queries/\{query_id\}/(answer|close|reopen)$", route):
        return st.just({"version": 1, "text": "fuzz"})
    if (method, route) == ("PATCH", "/patients/{patient_id}"):
        return st.just({"sex": "female", "baseline": {"cns_status": "CNS2"}})
    if (method, route) == ("POST", "/patients"):
        return unique.map(lambda u: patient_body(example("INF-02"), f"FZ-{u}", site="SEV"))
    if (method, route) == ("POST", "/sites"):
        return unique.map(lambda u: {"code": f"S{u}", "name": "Fuzz site"})
    if (method, route) == ("POST", "/users"):
        return unique.map(
            lambda u: {
                "username": f"u{u}",
                "full_name": "Fuzz user",
                "password": "long-enough-password",
                "role": "coordinator",
                "site": "SEV",
            }
        )
    return None


def bodies(method: str, path: str) -> st.SearchStrategy[Any]:
    """Random JSON; random objects of the field names (with stray keys); valid bodies with fields changed."""
    fields = body_fields(method, path)
    objects = st.fixed_dictionaries(
        {}, optional={name: field_values(name, enums) for name, enums in fields.items()}
    )
    extra = st.dictionaries(text, json_values, max_size=2)
    options = [json_values, objects, st.builds(lambda known, stray: {**stray, **known}, objects, extra)]
    if (valid := valid_bodies(method, path)) is not None:
        options.append(st.builds(lambda base, changes: {**base, **changes}, valid, objects))
    return st.one_of(options)


ROUTES = body_routes()


@pytest.mark.parametrize(
    ("method", "path"), ROUTES, ids=[f"{m} {p.removeprefix(API_PREFIX)}" for m, p in ROUTES]
)
class TestNoServerErrors:
    def test_random_bodies_never_get_a_5xx(self, api: Api, method: str, path: str):
        """Random JSON and random objects of the route's field names get a 2xx or 4xx answer, never 5xx."""
        patient = api.patients["SEV"]
        part = match["part"] if (match := ROW_ROUTE.match(path)) else None
        row_id = None
        if part is not None:
            assert part in EVENT_BODIES, f"no body to seed a row of {part}"
            row_id = patient.rows.get(part) or api.add_row(
                part, patient.id, column_values(part, EVENT_BODIES[part])
            )
        # A query to act on, opened afresh for each route (its steps need a query in a given state).
        query_id = api.add_query(patient.id) if "{query_id}" in path else None
        version_id = api.add_consent_version("fuzz v1", "INTERFANT-06") if "{version_id}" in path else None
        # A freeze to release, set afresh for each route (admin answers: it may release it).
        lock_id = api.add_freeze(patient.id) if "{lock_id}" in path else None
        url = path.format(
            patient_id=patient.id, row_id=row_id, query_id=query_id, version_id=version_id, lock_id=lock_id
        )
        who = (
            Principal(Role.DATA_MANAGER)
            if "queries" in path
            else Principal(Role.INVESTIGATOR, "SEV")
            if "{patient_id}" in path or path.endswith("/patients")
            else None
        )
        headers = api.headers(who or Principal(Role.ADMIN))
        seen: set[int] = set()

        def current_version() -> int:
            if row_id is not None:
                return row_version(api, part, row_id)
            with api.store.session(api.system) as session:
                return session.get(Patient, patient.id).version

        @settings(
            max_examples=30,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(body=bodies(method, path), current=st.booleans(), reason=st.booleans())
        def check(body: Any, current: bool, reason: bool) -> None:
            if method == "PATCH" and isinstance(body, dict):
                if current:
                    body["version"] = current_version()
                if reason:
                    body["reason"] = "fuzz"
            # Raw JSON text, so NaN and Infinity reach the server as a careless client sends them.
            content = json.dumps(body, allow_nan=True)
            answer = api.client.request(
                method, url, content=content, headers={**headers, "content-type": "application/json"}
            )
            seen.add(answer.status_code)
            assert answer.status_code in ANSWERS, (
                f"{method} {url} {body!r}: {answer.status_code} {answer.text[:300]}"
            )
            if answer.status_code == 422:
                assert all({"field", "problem"} <= set(item) for item in answer.json()["detail"])

        check()
        assert 422 in seen
