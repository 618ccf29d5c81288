"""Helpers for the store tests: two sites (SEV, SNU), users of every role, example patients.

The sites exist from the start (see the ``world`` fixture in ``conftest.py``); users are
created on first use, all with one password whose Argon2 hash is computed once per test
session (each hash costs about a tenth of a second). They are written through a system
session, so they are audited like users made by ``accounts.add_user``, and turned into
actors by ``accounts.actor_for_user``; ``add_user`` itself is tested on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from remission.record.model import Attestation
from remission.store import accounts, events, patients
from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.models import AuditEntry, ConsentRecord, Patient, RoleAssignment, User
from remission.store.passwords import hash_password
from remission.store.session import StudySession
from remission.store.vocabulary import Role

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "patients"
#: The date records are checked against; nothing recorded in the examples lies after it.
TODAY = date(2026, 11, 21)
NCT = "NCT06516679"
PASSWORD = "correct horse battery staple"
#: An adverse event's values, for tests that need any valid course row.
AE = {
    "term": "Febrile neutropenia",
    "grade": 3,
    "onset_date": date(2025, 1, 20),
    "serious": True,
    "attribution": "possible",
}

STUDY_ROLES = (Role.ADMIN, Role.DATA_MANAGER, Role.STATISTICIAN, Role.MONITOR)
SITE_ROLES = (Role.COORDINATOR, Role.INVESTIGATOR)

#: Run a test that takes ``store``/``database_url`` on PostgreSQL only.
ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@cache
def _example_text(study_id: str) -> str:
    (path,) = EXAMPLES.glob(f"{study_id}-*.json")
    return path.read_text("utf-8")


def example(study_id: str) -> dict[str, Any]:
    """A fresh copy of the example record whose file name starts with ``study_id`` (e.g. ``INF-02``)."""
    return json.loads(_example_text(study_id))


def baseline_of(record: dict[str, Any]) -> dict[str, Any]:
    return {name: record[name] for name in patients.BASELINE_FIELDS if name in record}


def attestations_of(record: dict[str, Any]) -> list[Attestation]:
    return [Attestation.model_validate(item) for item in record.get("attestations", [])]


@cache
def password_hash() -> str:
    """The Argon2 hash of :data:`PASSWORD`, computed once."""
    return hash_password(PASSWORD)


@dataclass
class World:
    """A migrated store with sites SEV and SNU, and users made on demand."""

    store: Store
    sites: dict[str, int]
    _actors: dict[tuple[Role, str | None], Actor] = field(default_factory=dict)

    @property
    def sev(self) -> int:
        return self.sites["SEV"]

    @property
    def snu(self) -> int:
        return self.sites["SNU"]

    def actor(self, role: Role, site: str | None = None) -> Actor:
        """The actor of a user holding ``role`` (at ``site`` for site roles), created once."""
        key = (role, site)
        if key not in self._actors:
            username = f"{role.value}-{site or 'study'}".lower()
            with self.store.session(self.system) as session:
                user = User(username=username, full_name=username, password_hash=password_hash(), active=True)
                session.add(user)
                session.flush()
                site_id = self.sites[site] if site else None
                session.add(RoleAssignment(user_id=user.id, role=role, site_id=site_id))
                session.flush()
                actor = accounts.actor_for_user(session, user_id=user.id)
            assert actor is not None
            self._actors[key] = actor
        return self._actors[key]

    @property
    def system(self) -> Actor:
        return Actor.for_system("seed")

    @contextmanager
    def session(self, actor: Actor, *, reason: str | None = None) -> Iterator[StudySession]:
        with self.store.session(actor, reason=reason) as session:
            yield session

    def register(
        self,
        study_id: str,
        site: str,
        *,
        record: dict[str, Any] | None = None,
        identifiers: dict[str, Any] | None = None,
        consent: bool = True,
    ) -> int:
        """Register a patient as the system (from an example record if given); return its id."""
        record = record or example("INF-01")
        with self.session(self.system) as session:
            patient = patients.register_patient(
                session,
                study_id=study_id,
                site_id=self.sites[site],
                sex=record["patient"]["sex"],
                date_of_birth=date.fromisoformat(record["patient"]["date_of_birth"]),
                baseline=baseline_of(record),
                identifiers=identifiers,
                today=TODAY,
            )
            if consent and record.get("consent"):
                given = record["consent"]
                events.create_row(
                    session,
                    model=ConsentRecord,
                    patient_id=patient.id,
                    values={
                        "given_by": given["given_by"],
                        "date": date.fromisoformat(given["date"]),
                        "form_version": given["form_version"],
                    },
                )
            return patient.id

    def audit_rows(self, **where: Any) -> list[dict[str, Any]]:
        """Audit entries in order, optionally filtered by column values."""
        query = select(AuditEntry.__table__).order_by(AuditEntry.seq)
        for name, value in where.items():
            query = query.where(AuditEntry.__table__.c[name] == value)
        with self.store.engine.connect() as connection:
            return [dict(row) for row in connection.execute(query).mappings()]

    def audit_count(self) -> int:
        with self.store.engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(AuditEntry)) or 0

    def patient_count(self) -> int:
        with self.store.engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Patient)) or 0
