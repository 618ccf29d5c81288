"""Text longer than its column is refused in the data layer, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from tests.store.helpers import World

from remission.store import events
from remission.store.errors import Refused
from remission.store.models import ConsentRecord
from remission.store.vocabulary import Role

CONSENT = {"given_by": "parents", "date": date(2025, 1, 10)}


def _consents(world: World) -> int:
    with world.store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(ConsentRecord)) or 0


def test_too_long_value_is_refused_naming_the_field_and_nothing_is_written(world: World):
    """A 65-character consent form version is refused as form_version, and no row or audit entry is stored."""
    patient = world.register("P-1", "SEV", consent=False)
    coordinator = world.actor(Role.COORDINATOR, "SEV")
    rows, entries = _consents(world), world.audit_count()
    with pytest.raises(Refused) as refused, world.session(coordinator) as session:
        events.create_row(
            session, model=ConsentRecord, patient_id=patient, values={**CONSENT, "form_version": "v" * 65}
        )
    assert (refused.value.field, refused.value.problem) == ("form_version", "at most 64 characters (got 65)")
    assert (_consents(world), world.audit_count()) == (rows, entries)


def test_value_at_the_limit_is_stored(world: World):
    """Exactly 64 characters fit the column and are stored unchanged."""
    patient = world.register("P-1", "SEV", consent=False)
    coordinator = world.actor(Role.COORDINATOR, "SEV")
    with world.session(coordinator) as session:
        row = events.create_row(
            session, model=ConsentRecord, patient_id=patient, values={**CONSENT, "form_version": "v" * 64}
        )
        stored = row.form_version
    assert stored == "v" * 64
