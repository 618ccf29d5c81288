"""Registering and updating patients: validated baselines, unique study ids, separate identifiers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from tests.store.helpers import TODAY, World, baseline_of, example

from remission.errors import InputError
from remission.store import Conflict, patients
from remission.store.errors import Refused
from remission.store.models import Patient, PatientIdentifiers
from remission.store.vocabulary import Role


def register(world: World, role: Role, site: str | None, **overrides: Any) -> Patient:
    """Register an INF-01-like patient at SEV as ``role``, with ``overrides`` of the arguments."""
    record = example("INF-01")
    arguments: dict[str, Any] = {
        "study_id": "NEW-1",
        "site_id": world.sev,
        "sex": "female",
        "date_of_birth": date.fromisoformat(record["patient"]["date_of_birth"]),
        "baseline": baseline_of(record),
        "identifiers": None,
        "today": TODAY,
        **overrides,
    }
    with world.session(world.actor(role, site)) as session:
        return patients.register_patient(session, **arguments)


def problems(error: InputError) -> list[str]:
    return [problem.field for problem in error.problems]


class TestRegister:
    def test_baseline_is_validated_and_stored(self, world: World):
        """A registered patient keeps the record's baseline sections, and identifiers in their own row."""
        patient = register(
            world,
            Role.COORDINATOR,
            "SEV",
            identifiers={"full_name": "Kim Ha-eun", "contact": "010-0000-0000"},
        )
        with world.session(world.system) as session:
            stored = session.get(Patient, patient.id)
            assert (stored.study_id, stored.site_id, stored.version) == ("NEW-1", world.sev, 1)
            assert stored.date_of_birth == date(2024, 1, 1)
            assert stored.baseline["genetics"]["kmt2a"]["status"] == "germline"
            assert set(stored.baseline) <= set(patients.BASELINE_FIELDS)
            identifiers = session.query(PatientIdentifiers).filter_by(patient_id=patient.id).one()
            assert (identifiers.full_name, identifiers.site_id) == ("Kim Ha-eun", world.sev)

    def test_taken_study_id_is_refused(self, world: World):
        """A study id already taken is refused on 'study_id' and nothing more is stored."""
        register(world, Role.DATA_MANAGER, None, study_id="P-1")
        with pytest.raises(Refused) as raised:
            register(world, Role.DATA_MANAGER, None, study_id="P-1", site_id=world.snu)
        assert raised.value.field == "study_id"
        assert world.patient_count() == 1

    def test_study_id_taken_at_an_unseen_site_still_refused(self, world: World):
        """A study id taken at a site the coordinator cannot see is still refused, with the very answer
        a visible one gets, so the refusal does not tell that another site holds the id."""
        world.register("P-1", "SNU")
        with pytest.raises(Refused) as unseen:
            register(world, Role.COORDINATOR, "SEV", study_id="P-1")
        assert world.patient_count() == 1
        world.register("P-2", "SEV")
        with pytest.raises(Refused) as visible:
            register(world, Role.COORDINATOR, "SEV", study_id="P-2")
        assert (unseen.value.field, unseen.value.problem) == ("study_id", "study id 'P-1' is taken")
        assert visible.value.problem == "study id 'P-2' is taken"
        assert world.patient_count() == 2

    def test_a_duplicate_past_the_check_is_a_conflict(self, world: World):
        """A duplicate study id that gets past the check (a concurrent registration) is still refused
        by the unique constraint, which the store reports as its own Conflict with the database's error
        as cause."""
        world.register("P-1", "SNU")
        coordinator = world.actor(Role.COORDINATOR, "SEV")
        with pytest.raises(Conflict) as raised, world.session(coordinator) as session:
            session.add(Patient(study_id="P-1", site_id=world.sev, sex=None, baseline={}))
        assert isinstance(raised.value.__cause__, IntegrityError)
        assert "study_id" in str(raised.value.__cause__)
        assert world.patient_count() == 1

    def test_unknown_baseline_fields_are_named(self, world: World):
        """Fields that are not baseline sections raise InputError naming each of them."""
        baseline = {**baseline_of(example("INF-01")), "consent": {}, "favourite_colour": "blue"}
        with pytest.raises(InputError) as raised:
            register(world, Role.COORDINATOR, "SEV", baseline=baseline)
        assert problems(raised.value) == ["baseline.consent", "baseline.favourite_colour"]
        assert world.patient_count() == 0

    def test_diagnosis_before_birth_is_named(self, world: World):
        """A diagnosis dated before the date of birth raises InputError naming diagnosis.date."""
        baseline = baseline_of(example("INF-01"))
        baseline["diagnosis"] = {**baseline["diagnosis"], "date": "2023-12-31"}
        with pytest.raises(InputError) as raised:
            register(world, Role.COORDINATOR, "SEV", baseline=baseline)
        assert problems(raised.value) == ["diagnosis.date"]
        assert "before" in raised.value.problems[0].problem
        assert world.patient_count() == 0

    def test_invalid_sex_is_named(self, world: World):
        """A sex outside the vocabulary raises InputError naming patient.sex."""
        with pytest.raises(InputError) as raised:
            register(world, Role.COORDINATOR, "SEV", sex="unknown")
        assert problems(raised.value) == ["patient.sex"]


class TestUpdate:
    def test_update_validates_and_bumps_version(self, world: World):
        """A valid change is saved with the version increased by one and its old value audited."""
        patient_id = world.register("P-1", "SEV")
        with world.session(world.actor(Role.INVESTIGATOR, "SEV"), reason="lab report") as session:
            patient = patients.update_patient(
                session,
                patient_id=patient_id,
                version=1,
                changes={"baseline": {"wbc_at_diagnosis_1e9_per_l": 55.5}},
                today=TODAY,
            )
            assert patient.version == 2
        with world.session(world.system) as session:
            assert session.get(Patient, patient_id).baseline["wbc_at_diagnosis_1e9_per_l"] == 55.5
        (entry,) = world.audit_rows(action="update", entity="patients")
        assert (entry["field"], entry["entity_id"], entry["reason"]) == ("baseline", patient_id, "lab report")
        assert '"wbc_at_diagnosis_1e9_per_l":55.5' in entry["new_value"]
        assert '"wbc_at_diagnosis_1e9_per_l":55.5' not in entry["old_value"]

    def test_invalid_update_changes_nothing(self, world: World):
        """Moving the date of birth after the diagnosis raises InputError and leaves the patient as it was."""
        patient_id = world.register("P-1", "SEV")
        with (
            pytest.raises(InputError) as raised,
            world.session(world.actor(Role.INVESTIGATOR, "SEV"), reason="typo") as session,
        ):
            patients.update_patient(
                session,
                patient_id=patient_id,
                version=1,
                changes={"date_of_birth": date(2025, 6, 1)},
                today=TODAY,
            )
        assert "diagnosis.date" in problems(raised.value)
        with world.session(world.system) as session:
            patient = session.get(Patient, patient_id)
            assert (patient.date_of_birth, patient.version) == (date(2024, 1, 1), 1)
