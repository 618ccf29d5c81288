"""Helpers of the API tests: users per role, seeded patients and request bodies.

Users are made with :mod:`remission.store.accounts` and signed in through
``POST /api/v1/auth/token``. An Argon2 hash costs about 80 ms, so a user is made the
first time a test asks for their role (``api.headers(...)``), or all at once with
``api.add_all_users()``.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from remission.api.app import API_PREFIX, create_app
from remission.api.settings import Settings
from remission.store import (
    COURSE_KINDS,
    LockLevel,
    LockState,
    MissingDataCode,
    accounts,
    set_lock,
    set_missing_code,
)
from remission.store import add_consent_version as store_consent_version
from remission.store import events as store_events
from remission.store import queries as store_queries
from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.patients import BASELINE_FIELDS, register_patient
from remission.store.vocabulary import Role

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "patients"
PASSWORD = "correct-horse-battery-staple"
SITES = {"SEV": "Severance Children's Hospital", "SNU": "Seoul National University Children's Hospital"}
PROTOCOL = "NCT06516679"

STUDY_ROLES = (Role.ADMIN, Role.DATA_MANAGER, Role.STATISTICIAN, Role.MONITOR)
SITE_ROLES = (Role.INVESTIGATOR, Role.COORDINATOR)


@dataclass(frozen=True)
class Principal:
    """One user of the walk: a study-level role, or a site role held at one site."""

    role: Role
    site: str | None = None

    @property
    def username(self) -> str:
        return self.role.value if self.site is None else f"{self.role.value}-{self.site.lower()}"

    @property
    def label(self) -> str:
        return self.role.value if self.site is None else f"{self.role.value}@{self.site}"


PRINCIPALS = (
    *(Principal(role) for role in STUDY_ROLES),
    *(Principal(role, site) for site in SITES for role in SITE_ROLES),
)


def example(prefix: str) -> dict[str, Any]:
    """The example record whose file name starts with ``prefix`` (e.g. ``INF-02``)."""
    (path,) = EXAMPLES.glob(f"{prefix}-*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def patient_body(record: dict[str, Any], study_id: str, *, site: str | None = None) -> dict[str, Any]:
    """A ``POST /patients`` body from an example record: its baseline sections and patient fields."""
    body: dict[str, Any] = {
        "study_id": study_id,
        "sex": record["patient"].get("sex"),
        "date_of_birth": record["patient"].get("date_of_birth"),
        "baseline": {name: record[name] for name in BASELINE_FIELDS if name in record},
    }
    if site is not None:
        body["site"] = site
    return body


def enrollment_body(record: dict[str, Any], *, attested: bool = True) -> dict[str, Any]:
    """A ``POST /enrollments`` body for the record's study entry, with its attestations or none."""
    return {
        "protocol_id": PROTOCOL,
        "enrolled_on": record["study_entry_date"],
        "attestations": record.get("attestations", []) if attested else [],
    }


@dataclass
class SeededPatient:
    """A patient made through the store, with the ids of the rows seeded for them."""

    site: str
    id: int
    record: dict[str, Any]
    rows: dict[str, int] = field(default_factory=dict)
    full_name: str = ""


#: The example record seeded at each site (both eligible for NCT06516679 with attestation).
SEEDS = {"SEV": "INF-01", "SNU": "INF-02"}


class Api:
    """The app, its test client and the data every API test starts from."""

    def __init__(self, store: Store, client: TestClient, settings: Settings) -> None:
        self.store, self.client, self.settings = store, client, settings
        self.system = Actor.for_system("api tests")
        self.sites: dict[str, int] = {}
        self.patients: dict[str, SeededPatient] = {}
        self._users: dict[Principal, int] = {}
        #: The ids of each principal's notifications, as the walk last wrote them.
        self.notifications: dict[Principal, set[int]] = {}
        self._headers: dict[Principal, dict[str, str]] = {}

    # -- accounts -----------------------------------------------------------------

    def add_sites(self) -> None:
        with self.store.session(self.system) as session:
            for code, name in SITES.items():
                self.sites[code] = accounts.add_site(session, code=code, name=name).id

    def user_id(self, principal: Principal) -> int:
        """The id of the principal's user, made now if this test has not made it yet."""
        if principal not in self._users:
            with self.store.session(self.system) as session:
                user = accounts.add_user(
                    session,
                    username=principal.username,
                    full_name=f"Test {principal.label}",
                    password=PASSWORD,
                    role=principal.role,
                    site_code=principal.site,
                )
                self._users[principal] = user.id
        return self._users[principal]

    def add_all_users(self) -> None:
        for principal in PRINCIPALS:
            self.user_id(principal)

    def sign_in(self, principal: Principal, password: str = PASSWORD) -> Any:
        self.user_id(principal)
        return self.client.post(
            f"{API_PREFIX}/auth/token", data={"username": principal.username, "password": password}
        )

    def headers(self, role: Role | Principal, site: str | None = None) -> dict[str, str]:
        """Bearer headers of the user holding ``role`` (at ``site`` for a site role)."""
        principal = role if isinstance(role, Principal) else Principal(role, site)
        if principal not in self._headers:
            answer = self.sign_in(principal)
            assert answer.status_code == 200, answer.text
            self._headers[principal] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        return self._headers[principal]

    def forget_headers(self, principal: Principal) -> None:
        """Drop the principal's bearer headers: the next ``headers`` signs in again (a new session),
        as a client must after a change of its roles ended its sessions."""
        self._headers.pop(principal, None)

    # -- clinical data ------------------------------------------------------------

    def seed_patient(self, site: str, prefix: str, study_id: str) -> SeededPatient:
        """A patient from an example record at ``site`` with identifiers, consent, MRD and an AE."""
        record = example(prefix)
        body = patient_body(record, study_id)
        full_name = f"Child {study_id}"
        with self.store.session(self.system) as session:
            patient = register_patient(
                session,
                study_id=study_id,
                site_id=self.sites[site],
                sex=body["sex"],
                date_of_birth=date.fromisoformat(body["date_of_birth"]),
                baseline=body["baseline"],
                identifiers={"full_name": full_name, "medical_record_number": f"MRN-{study_id}"},
                today=date.today(),
            )
            seeded = SeededPatient(site=site, id=patient.id, record=record, full_name=full_name)
        consent = record["consent"]
        seeded.rows["consents"] = self.add_row(
            "consents", seeded.id, {**consent, "date": date.fromisoformat(consent["date"])}
        )
        seeded.rows["mrd"] = self.add_row("mrd", seeded.id, mrd_values(record["mrd"][0]))
        seeded.rows["adverse-events"] = self.add_row("adverse-events", seeded.id, ADVERSE_EVENT)
        return seeded

    def add_row(self, segment: str, patient_id: int, values: dict[str, Any]) -> int:
        """Create a course row through the store as the system; its id."""
        with self.store.session(self.system) as session:
            return store_events.create_row(
                session, model=MODELS[segment], patient_id=patient_id, values=dict(values)
            ).id

    def add_consent_version(self, label: str, protocol_id: str) -> int:
        """Register an approved parental permission form version as the system; its id."""
        with self.store.session(self.system) as session:
            return store_consent_version(
                session,
                protocol_id=protocol_id,
                kind="parental permission",
                label=label,
                approved_on=date(2025, 1, 1),
                approved_by="walk committee",
            ).id

    def add_query(self, patient_id: int, *, closed: bool = False) -> int:
        """Open a query on the patient's MRD form as the system (and close it if asked); its id."""
        with self.store.session(self.system) as session:
            query = store_queries.open_query(
                session, patient_id=patient_id, **QUERY_ITEM, text="Please confirm"
            )
            if closed:
                store_queries.close_query(session, query_id=query.id, version=query.version, text="Confirmed")
            return query.id

    def add_freeze(self, patient_id: int) -> int:
        """Freeze a new adverse-event form of the patient as the system; the freeze's id."""
        row_id = self.add_row("adverse-events", patient_id, ADVERSE_EVENT)
        with self.store.session(self.system, reason="walk") as session:
            return set_lock(
                session,
                level=LockLevel.FORM,
                state=LockState.FROZEN,
                patient_id=patient_id,
                form="adverse-events",
                row_id=row_id,
            ).id

    def count_rows(self, segment: str, patient_id: int) -> int:
        with self.store.session(self.system) as session:
            return len(store_events.list_rows(session, model=MODELS[segment], patient_id=patient_id))


def mrd_values(result: dict[str, Any]) -> dict[str, Any]:
    """An example record's MRD result as column values."""
    return {**result, "sample_date": date.fromisoformat(result["sample_date"])}


ADVERSE_EVENT = {
    "term": "Febrile neutropenia",
    "grade": 3,
    "onset_date": date(2025, 4, 2),
    "serious": True,
    "attribution": "probable",
}

#: The model and Create schema behind each course-row segment of the API, from its routes.
MODELS = {spec.segment: spec.model for spec in COURSE_KINDS}
CREATE_SCHEMAS = {spec.segment: spec.create for spec in COURSE_KINDS}


def make_settings() -> Settings:
    return Settings(environment="development", secret_key=secrets.token_urlsafe(36), token_minutes=30)


#: A valid ``POST`` body of each course-row family (the one place the walk names routes).
EVENT_BODIES: dict[str, dict[str, Any]] = {
    "consents": {"given_by": "parents", "date": "2025-01-02", "form_version": "ICF v2.1"},
    "mrd": {
        "time_point": "end of induction",
        "method": "flow cytometry",
        "sample_date": "2025-02-07",
        "value_fraction": 0.001,
        "sensitivity_fraction": 1e-05,
    },
    "treatment-phases": {"phase_id": "induction", "actual_start": "2025-01-03", "actual_end": "2025-02-06"},
    "transplants": {
        "date": "2025-09-01",
        "donor_type": "matched sibling",
        "conditioning_regimen": "busulfan, fludarabine",
    },
    "adverse-events": {
        "term": "Mucositis oral",
        "grade": 2,
        "onset_date": "2025-02-01",
        "serious": False,
        "attribution": "possible",
    },
    "anthracycline-doses": {"drug": "daunorubicin", "dose_mg_per_m2": 30.0, "date": "2025-01-10"},
    "relapses": {"date": "2025-12-01", "site": "marrow", "timing": "no HSCT"},
    "deaths": {"date": "2026-01-15", "cause": "infection"},
    "follow-ups": {"date": "2026-01-10", "status": "alive in remission"},
    "phase-reports": {"phase_id": "induction", "date": "2025-02-10", "completed_as_planned": True},
    "cardiac-assessments": {
        "date": "2026-01-05",
        "method": "echocardiography",
        "shortening_fraction_percent": 34.0,
        "ejection_fraction_percent": 62.0,
    },
}

#: The item the API tests' queries are about, and a valid ``POST /patients/{id}/queries`` body.
QUERY_ITEM: dict[str, Any] = {"form": "mrd", "row_id": None, "field": "sample_date"}
QUERY_BODY: dict[str, Any] = {"form": "mrd", "field": "sample_date", "text": "Is the sample date right?"}

#: A valid change (``PATCH`` values besides version and reason) of each course-row family.
EVENT_CHANGES: dict[str, dict[str, Any]] = {
    "consents": {"form_version": "ICF v2.2"},
    "mrd": {"value_fraction": 0.002},
    "treatment-phases": {"deviation": "started two days late"},
    "transplants": {"donor_type": "haploidentical"},
    "adverse-events": {"grade": 3},
    "anthracycline-doses": {"dose_mg_per_m2": 25.0},
    "relapses": {"site": "CNS"},
    "deaths": {"cause": "sepsis"},
    "follow-ups": {"status": "alive with disease"},
    "phase-reports": {"note": "day 8 dose delayed"},
    "cardiac-assessments": {"finding": "normal systolic function"},
}


#: A valid ``POST /patients/{id}/missing-codes`` body: a baseline field no seeded record fills.
#: An item to mark verified against the source (SDV): a baseline field every seeded patient holds.
SDV_BODY: dict[str, Any] = {"form": "baseline", "field": "diagnosis.who_type"}
MISSING_CODE_BODY: dict[str, Any] = {
    "form": "baseline",
    "field": "refractory_disease",
    "code": "not asked",
    "note": "walk",
}


def add_missing_code(api: Api, patient_id: int) -> int:
    """Record :data:`MISSING_CODE_BODY` on the patient through the store as the system; its id."""
    with api.store.session(api.system) as session:
        return set_missing_code(session, patient_id=patient_id, **MISSING_CODE_BODY).id


def missing_code_version(api: Api, code_id: int) -> int | None:
    """The stored version of a missing-data code, read as the system; ``None`` when it is gone."""
    with api.store.session(api.system) as session:
        row = session.get(MissingDataCode, code_id)
        return None if row is None else row.version


def column_values(segment: str, body: dict[str, Any]) -> dict[str, Any]:
    """A request body as the column values the store takes (dates as dates, enums as enums)."""
    return CREATE_SCHEMAS[segment].model_validate(body).model_dump()


def row_version(api: Api, segment: str, row_id: int) -> int | None:
    """The stored version of a course row, read as the system; ``None`` when it is gone."""
    with api.store.session(api.system) as session:
        row = session.get(MODELS[segment], row_id)
        return None if row is None else row.version


def schema_app() -> Any:
    """An app without a store, for reading its routes and OpenAPI document."""
    return create_app(None, make_settings())  # type: ignore[arg-type]


HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


def openapi_operations(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) of the app's OpenAPI document under the API prefix."""
    return {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method.upper() in HTTP_METHODS and path.startswith(f"{API_PREFIX}/")
    }


def problems(answer: Any) -> dict[str, str]:
    """The field-level problems of an error answer, as ``{field: problem}``."""
    return {item["field"]: item["problem"] for item in answer.json()["detail"]}


def backend(api: Api) -> str:
    """``sqlite`` or ``postgresql``: the back end the test runs on."""
    return api.store.engine.dialect.name


def xfail_on(request: Any, api: Api, backends: set[str], reason: str) -> None:
    """Mark the running test as a strict expected failure on the given back ends only."""
    if backend(api) in backends:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
