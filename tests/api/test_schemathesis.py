"""Schemathesis against the OpenAPI document: no 5xx, and every answer as declared.

Schemathesis reads ``/openapi.json`` and generates requests for every operation: valid ones
from the declared schemas, and wrong ones. Each test runs on SQLite and on a real PostgreSQL
server (the ``api`` fixture), signed in as a coordinator of one site and as the admin, with a
bounded number of examples per operation (``REMISSION_SCHEMATHESIS_EXAMPLES``, default 15).

Every answer is checked for: no 5xx; a status the operation declares; the declared content
type and headers; a body that matches the declared schema (for errors, the one
``{"detail": [{"field", "problem"}]}`` shape). Left out is schemathesis's *positive data
acceptance* check, which expects every schema-valid body to be accepted: the server rightly
refuses schema-valid bodies the schema cannot express — a study id already taken, an
``Idempotency-Key`` header of the wrong length, MRD with both a value and
"positive, not quantifiable", NUL characters, ``2.0`` for an integer.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from remission.store.vocabulary import Role

from .helpers import Api, Principal

EXAMPLES = int(os.environ.get("REMISSION_SCHEMATHESIS_EXAMPLES", "15"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
WHO = {"coordinator": Principal(Role.COORDINATOR, "SEV"), "admin": Principal(Role.ADMIN)}


def _run_operation(operation: schemathesis.APIOperation, headers: dict[str, str]) -> Callable[[], None]:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    return run


@pytest.mark.parametrize("who", sorted(WHO))
def test_every_operation_answers_as_declared(api: Api, who: str):
    """Every operation of the API, as a coordinator and as the admin: no 5xx, answers as declared."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    headers = api.headers(WHO[who])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30  # every route of the API, not an empty document
    failures = []
    for operation in operations:
        try:
            _run_operation(operation, headers)()
        except (Exception, BaseExceptionGroup) as failure:  # every operation's failures, not only the first
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)
