"""Freeze and lock in the store: what each refuses, for every writer, who sets and releases them, and the
casebook lock's need for valid signatures."""

from __future__ import annotations

from datetime import date

import pytest
from tests.store.helpers import PASSWORD, World
from tests.store.test_signatures import SAE, add_sae, enrolled

from remission.store import (
    AdverseEvent,
    LockLevel,
    LockState,
    SignatureMeaning,
    SignedUnit,
    UnitRef,
    events,
    list_locks,
    open_query,
    release_lock,
    set_lock,
    sign_units,
    update_patient,
)
from remission.store.actor import AccessDenied
from remission.store.errors import Locked, Refused
from remission.store.vocabulary import Role


def lock(world: World, level: LockLevel, state: LockState, **target: object) -> int:
    with world.session(world.actor(Role.DATA_MANAGER), reason="lock") as session:
        return set_lock(session, level=level, state=state, **target).id  # type: ignore[arg-type]


def write_ae(world: World, patient_id: int, site: str = "SNU") -> None:
    with world.session(world.actor(Role.COORDINATOR, site)) as session:
        events.create_row(session, model=AdverseEvent, patient_id=patient_id, values=dict(SAE))


def delete_lock(world: World, lock_id: int) -> None:
    from remission.store.lock_models import DataLock

    with world.session(world.actor(Role.ADMIN), reason="x") as session:
        session.delete(session.get(DataLock, lock_id))


class TestRefusals:
    @pytest.mark.parametrize("state", list(LockState))
    def test_a_casebook_freeze_or_lock_refuses_a_new_row(self, world: World, state: LockState) -> None:
        """A frozen or locked casebook refuses a new course row; the error says which, and how to release."""
        patient_id = enrolled(world)
        lock(world, LockLevel.CASEBOOK, state, patient_id=patient_id, override_reason="test")
        with pytest.raises(Locked) as refused:
            write_ae(world, patient_id)
        assert refused.value.frozen is (state is LockState.FROZEN)
        assert "INF-02" in refused.value.problem
        assert state.value in refused.value.problem

    def test_frozen_data_takes_queries_locked_data_does_not(self, world: World) -> None:
        """A monitor opens a query on frozen data; on locked data the same query is refused."""
        patient_id = enrolled(world)
        lock_id = lock(world, LockLevel.CASEBOOK, LockState.FROZEN, patient_id=patient_id)
        monitor = world.actor(Role.MONITOR)
        with world.session(monitor) as session:
            open_query(
                session,
                patient_id=patient_id,
                form="baseline",
                row_id=None,
                field="diagnosis.who_type",
                text="Source?",
            )
        with world.session(world.actor(Role.DATA_MANAGER), reason="lock") as session:
            set_lock(
                session,
                level=LockLevel.CASEBOOK,
                state=LockState.LOCKED,
                patient_id=patient_id,
                override_reason="end of study",
            )
        with pytest.raises(Locked), world.session(monitor) as session:
            open_query(
                session,
                patient_id=patient_id,
                form="baseline",
                row_id=None,
                field="diagnosis.who_type",
                text="Again?",
            )
        assert lock_id

    def test_a_site_lock_covers_only_that_site(self, world: World) -> None:
        """Locking SNU refuses writes to an SNU patient, not to a SEV patient."""
        snu_patient = enrolled(world)
        sev_patient = enrolled(world, "INF-01", "SEV")
        lock(world, LockLevel.SITE, LockState.LOCKED, site_code="SNU")
        with pytest.raises(Locked):
            write_ae(world, snu_patient)
        write_ae(world, sev_patient, "SEV")

    def test_a_form_lock_covers_its_row_only(self, world: World) -> None:
        """A locked adverse-event form refuses a change to its row; another row of the patient changes."""
        patient_id = enrolled(world)
        first, second = add_sae(world, patient_id), add_sae(world, patient_id)
        lock(
            world,
            LockLevel.FORM,
            LockState.LOCKED,
            patient_id=patient_id,
            form="adverse-events",
            row_id=first,
        )
        coordinator = world.actor(Role.COORDINATOR, "SNU")
        with pytest.raises(Locked), world.session(coordinator, reason="fix") as session:
            events.update_row(
                session,
                model=AdverseEvent,
                patient_id=patient_id,
                row_id=first,
                version=1,
                values={"grade": 4},
            )
        with world.session(coordinator, reason="fix") as session:
            events.update_row(
                session,
                model=AdverseEvent,
                patient_id=patient_id,
                row_id=second,
                version=1,
                values={"grade": 4},
            )

    def test_the_baseline_form_lock_refuses_a_baseline_change(self, world: World) -> None:
        """A locked baseline form refuses a change of the patient's baseline record, as any writer."""
        patient_id = enrolled(world)
        lock(world, LockLevel.FORM, LockState.LOCKED, patient_id=patient_id, form="baseline")
        with pytest.raises(Locked), world.session(world.system, reason="fix") as session:
            update_patient(
                session, patient_id=patient_id, version=1, changes={"sex": "female"}, today=date.today()
            )

    def test_a_study_lock_refuses_everything_until_an_admin_unlocks(self, world: World) -> None:
        """The study lock refuses writes; a data manager may not unlock; an admin with a reason does."""
        patient_id = enrolled(world)
        lock_id = lock(world, LockLevel.STUDY, LockState.LOCKED)
        with pytest.raises(Locked):
            write_ae(world, patient_id)
        with (
            pytest.raises(AccessDenied),
            world.session(world.actor(Role.DATA_MANAGER), reason="x") as session,
        ):
            release_lock(session, lock_id=lock_id, version=1, reason="reopen")
        with pytest.raises(Refused) as no_reason, world.session(world.actor(Role.ADMIN)) as session:
            release_lock(session, lock_id=lock_id, version=1, reason="  ")
        assert no_reason.value.field == "reason"
        with world.session(world.actor(Role.ADMIN), reason="unlock") as session:
            release_lock(session, lock_id=lock_id, version=1, reason="late correction approved by sponsor")
        write_ae(world, patient_id)
        rows = world.audit_rows(entity="data_locks", entity_id=lock_id, field="release_reason")
        assert rows
        assert "sponsor" in rows[-1]["new_value"]


class TestWhoLocks:
    @pytest.mark.parametrize(
        ("role", "site"), [(Role.COORDINATOR, "SNU"), (Role.INVESTIGATOR, "SNU"), (Role.MONITOR, None)]
    )
    def test_only_data_managers_and_admins_lock(self, world: World, role: Role, site: str | None) -> None:
        """Site staff and monitors may not freeze or lock."""
        with pytest.raises(AccessDenied), world.session(world.actor(role, site)) as session:
            set_lock(session, level=LockLevel.STUDY, state=LockState.FROZEN)

    def test_a_lock_row_is_never_deleted(self, world: World) -> None:
        """Deleting a lock row is refused by the data layer."""
        lock_id = lock(world, LockLevel.STUDY, LockState.FROZEN)
        with pytest.raises(AccessDenied):
            delete_lock(world, lock_id)

    def test_site_roles_see_their_site_and_study_locks_only(self, world: World) -> None:
        """A SEV coordinator lists the study lock and SEV's, not SNU's."""
        lock(world, LockLevel.STUDY, LockState.FROZEN)
        lock(world, LockLevel.SITE, LockState.LOCKED, site_code="SNU")
        with world.session(world.actor(Role.COORDINATOR, "SEV")) as session:
            assert [row.level for row in list_locks(session)] == [LockLevel.STUDY]


class TestCasebookLockNeedsSignatures:
    def test_missing_signatures_refuse_the_lock_and_are_listed(self, world: World) -> None:
        """Locking a casebook without its required signatures is refused, listing each missing one."""
        patient_id = enrolled(world)
        add_sae(world, patient_id)
        with pytest.raises(Refused) as refused, world.session(world.actor(Role.DATA_MANAGER)) as session:
            set_lock(session, level=LockLevel.CASEBOOK, state=LockState.LOCKED, patient_id=patient_id)
        assert refused.value.field == "signatures"
        for unit in ("eligibility", "serious-adverse-event", "casebook"):
            assert unit in refused.value.problem

    def test_valid_signatures_let_the_casebook_lock(self, world: World) -> None:
        """With every required signature valid, the casebook locks without an override."""
        from remission.store import list_enrollments

        patient_id = enrolled(world)
        sae = add_sae(world, patient_id)
        with world.session(world.system) as session:
            enrollment = list_enrollments(session, patient_id=patient_id)[0].id
        investigator = world.actor(Role.INVESTIGATOR, "SNU")
        plan = [
            (SignedUnit.ELIGIBILITY, enrollment, SignatureMeaning.RESPONSIBILITY),
            (SignedUnit.SERIOUS_ADVERSE_EVENT, sae, SignatureMeaning.REVIEW),
            (SignedUnit.CASEBOOK, None, SignatureMeaning.APPROVAL),
        ]
        for unit, row_id, meaning in plan:
            with world.session(investigator) as session:
                sign_units(
                    session,
                    units=[UnitRef(patient_id, unit, row_id)],
                    meaning=meaning,
                    username=investigator.username,
                    password=PASSWORD,
                )
        lock(world, LockLevel.CASEBOOK, LockState.LOCKED, patient_id=patient_id)

    def test_an_override_reason_locks_anyway_and_is_kept(self, world: World) -> None:
        """An override reason locks a casebook with signatures missing and is stored with the lock."""
        patient_id = enrolled(world)
        with world.session(world.actor(Role.DATA_MANAGER), reason="lock") as session:
            row = set_lock(
                session,
                level=LockLevel.CASEBOOK,
                state=LockState.LOCKED,
                patient_id=patient_id,
                override_reason="investigator left the site; sponsor approved",
            )
            assert row.override_reason
            assert "sponsor" in row.override_reason
        assert date.today()
