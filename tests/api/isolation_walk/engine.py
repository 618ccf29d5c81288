"""The engine of the route × role × site walk: one principal's requests, the answers each role and
site should get, the route patterns, and the checks of an answer's body. The route families
(patient_routes, plain_routes, study_routes, notification_routes) say what to send to each route.

The package imports ``..helpers`` relatively, as the test module and conftest do: pytest imports
tests/api as the package ``api``, and a second copy of the helpers (``tests.api.helpers``) would
hold a second ``Principal`` class that compares unequal to the walked principal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi.routing import APIRoute

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from ..helpers import (
    Api,
    Principal,
    SeededPatient,
    openapi_operations,
)

#: Operations the walk leaves to other tests: signing in and the health check.
NOT_WALKED = re.compile(rf"^{re.escape(API_PREFIX)}/(auth/|health$)")
METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}
AUDIT_READERS = frozenset({Role.ADMIN, Role.DATA_MANAGER, Role.MONITOR})
CLINICAL_WRITERS = frozenset({Role.DATA_MANAGER, Role.INVESTIGATOR, Role.COORDINATOR})
QUERY_REVIEWERS = frozenset({Role.DATA_MANAGER, Role.MONITOR})
SDV_VERIFIERS = frozenset({Role.MONITOR})

P = re.escape(API_PREFIX)
PATIENTS = re.compile(rf"^{P}/patients$")
PATIENT = re.compile(rf"^{P}/patients/\{{patient_id\}}$")
PATIENT_PART = re.compile(rf"^{P}/patients/\{{patient_id\}}/(?P<part>[a-z-]+)$")
EVENT_ROW = re.compile(rf"^{P}/patients/\{{patient_id\}}/(?P<part>[a-z-]+)/\{{row_id\}}$")
PLAIN = re.compile(rf"^{P}/[a-z/-]+$")
USER = re.compile(rf"^{P}/users/\{{user_id\}}/(?P<part>active|roles)$")
CODE_ROW = re.compile(rf"^{P}/patients/\{{patient_id\}}/missing-codes/\{{code_id\}}$")
SITE_PART = re.compile(rf"^{P}/sites/\{{site_code\}}/(?P<part>worklist|consent-actions|sdv)$")
CONSENT_VERSION = re.compile(rf"^{P}/consent-versions/\{{version_id\}}(/(?P<part>reconsent))?$")
CONSENT_MANAGERS = frozenset({Role.ADMIN, Role.DATA_MANAGER})
#: The walk registers consent versions of a study its patients are not enrolled in, so the
#: enrollments it walks (NCT06516679, on consents naming no study) are not refused for them.
CONSENT_STUDY = "INTERFANT-06"
QUERY = re.compile(rf"^{P}/queries/\{{query_id\}}(/(?P<step>answer|close|reopen))?$")
REQUIRED_SIGNATURES = re.compile(rf"^{P}/patients/\{{patient_id\}}/signatures/required$")
LOCK_RELEASE = re.compile(rf"^{P}/locks/\{{lock_id\}}/release$")
LOCK_SETTERS = frozenset({Role.DATA_MANAGER, Role.ADMIN})
NOTIFICATION = re.compile(rf"^{P}/notifications/\{{notification_id\}}/read$")
#: The inbox, mark-all-read and preferences: routes without path parameters under /notifications.
OWN_NOTIFICATIONS = re.compile(rf"^{P}/notifications[a-z/-]*$")
CASEBOOK = re.compile(rf"^{P}/patients/\{{patient_id\}}/casebook\.pdf$")


def walked_operations(app: Any) -> set[tuple[str, str]]:
    """The operations the walk must cover: the OpenAPI set less sign-in and health."""
    return {op for op in openapi_operations(app) if not NOT_WALKED.match(op[1])}


@dataclass
class WalkEngine:
    """One principal's walk: the operations walked and every answer that broke a rule."""

    api: Api
    who: Principal
    walked: set[tuple[str, str]] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    rows: dict[tuple[str, str], int] = field(default_factory=dict)
    counter: int = 0

    @property
    def headers(self) -> dict[str, str]:
        return self.api.headers(self.who)

    @property
    def targets(self) -> list[SeededPatient]:
        """Own site's patient first, then the other site's; both for study-level roles."""
        patients = sorted(self.api.patients.values(), key=lambda p: p.site != self.who.site)
        return patients

    def unique(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}-{self.who.username}-{self.counter}"

    def call(
        self,
        method: str,
        template: str,
        url: str,
        expected: int,
        *,
        check: Callable[[Any], str | None] | None = None,
        **options: Any,
    ) -> Any:
        """Make one request; record the operation as walked and any broken rule."""
        self.walked.add((method, template))
        answer = self.api.client.request(method, url, headers=self.headers, **options)
        if answer.status_code != expected:
            self.failures.append(
                f"{self.who.label} {method} {url} {options.get('json') or options.get('params') or ''}: "
                f"got {answer.status_code}, expected {expected}: {answer.text[:300]}"
            )
        elif check is not None and answer.is_success and (problem := check(answer)) is not None:
            self.failures.append(f"{self.who.label} {method} {url}: {problem}")
        if answer.is_success and (leaked := self.birth_dates_seen(answer.text)):
            self.failures.append(
                f"{self.who.label} {method} {url}: shows the date of birth of {', '.join(leaked)}"
            )
        return answer

    def birth_dates_seen(self, text: str) -> list[str]:
        """Seeded patients of sites where the principal holds no role whose date of birth is in ``text``."""
        return [
            f"{target.site} patient {target.id}"
            for target in self.targets
            if not self.own(target) and target.record["patient"]["date_of_birth"] in text
        ]

    # -- expectations -------------------------------------------------------------

    def own(self, target: SeededPatient) -> bool:
        return self.who.site == target.site

    def read_status(self, target: SeededPatient) -> int:
        return 200 if self.who.site is None or self.own(target) else 404

    def write_status(self, target: SeededPatient, success: int) -> int:
        if self.who.site is not None:
            return success if self.own(target) else 404
        return success if self.who.role in CLINICAL_WRITERS else 403

    def review_status(self, target: SeededPatient, success: int) -> int:
        """Opening, closing and re-opening a query: data managers and monitors only."""
        if self.who.site is not None and not self.own(target):
            return 404
        return success if self.who.role in QUERY_REVIEWERS else 403

    def lock_status(self, target: SeededPatient, success: int) -> int:
        """Freezing, locking and releasing: data managers and admins; another site's patient is a 404."""
        if self.who.site is not None and not self.own(target):
            return 404
        return success if self.who.role in LOCK_SETTERS else 403

    def wrote(self, target: SeededPatient) -> bool:
        return self.write_status(target, 200) == 200


def registered_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every API route, looking into included routers (FastAPI may keep
    them unflattened in ``app.routes``)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from registered_routes(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            yield from ((method, prefix + route.path) for method in route.methods if method != "HEAD")


def ids_are(expected: list[int]) -> Callable[[Any], str | None]:
    def check(answer: Any) -> str | None:
        got = sorted(item["id"] for item in answer.json())
        return None if got == expected else f"listed ids {got}, expected {expected}"

    return check


def field_is(name: str, value: object) -> Callable[[Any], str | None]:
    def check(answer: Any) -> str | None:
        got = answer.json().get(name)
        return None if got == value else f"{name} is {got!r}, expected {value!r}"

    return check
