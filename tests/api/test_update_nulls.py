"""Update schemas say which fields accept null, and the server does what they say.

A field the row cannot be without (a date, a method, a grade, a flag with a default) is
declared without null in the update schema and a null there is refused with 422 naming the
field; a field the row may leave empty is declared nullable, and null clears it.
"""

from __future__ import annotations

from typing import Any

import pytest

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from .helpers import EVENT_BODIES, Api, column_values, problems, row_version, schema_app

SCHEMA = schema_app().openapi()
UPDATE_OF = {
    segment: SCHEMA["paths"][f"{API_PREFIX}/patients/{{patient_id}}/{segment}/{{row_id}}"]["patch"]
    for segment in EVENT_BODIES
}


def _update_schema(segment: str) -> dict[str, Any]:
    ref = UPDATE_OF[segment]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return SCHEMA["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def _nullable(prop: dict[str, Any]) -> bool:
    return any(option.get("type") == "null" for option in prop.get("anyOf", []))


def _fields(segment: str, *, nullable: bool) -> list[str]:
    props = _update_schema(segment)["properties"]
    return sorted(n for n, p in props.items() if n not in ("version", "reason") and _nullable(p) == nullable)


def _null_patch(api: Api, segment: str, row_id: int, field: str) -> Any:
    body = {"version": row_version(api, segment, row_id), "reason": "correction", field: None}
    url = f"{API_PREFIX}/patients/{api.patients['SEV'].id}/{segment}/{row_id}"
    return api.client.patch(url, json=body, headers=api.headers(Role.COORDINATOR, "SEV"))


#: MRD needs a value or "positive, not quantifiable": its check across fields refuses clearing
#: the value of a row that has no other, although the field itself may be null.
CROSS_FIELD = {("mrd", "value_fraction")}


def test_every_update_declares_both_kinds():
    assert sum(len(_fields(s, nullable=False)) for s in EVENT_BODIES) >= 15
    assert sum(len(_fields(s, nullable=True)) for s in EVENT_BODIES) >= 5


@pytest.mark.parametrize("segment", sorted(EVENT_BODIES))
def test_nulls_are_answered_as_the_schema_declares(api: Api, segment: str):
    """Null for a field the row needs: 422 naming it. Null for a nullable field: cleared."""
    row_id = api.add_row(segment, api.patients["SEV"].id, column_values(segment, EVENT_BODIES[segment]))
    for field in _fields(segment, nullable=False):
        answer = _null_patch(api, segment, row_id, field)
        assert answer.status_code == 422, (field, answer.text)
        assert field in problems(answer)
    for field in _fields(segment, nullable=True):
        if (segment, field) in CROSS_FIELD:
            continue
        answer = _null_patch(api, segment, row_id, field)
        assert answer.status_code == 200, (field, answer.text)
        assert answer.json()[field] is None
