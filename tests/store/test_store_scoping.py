"""Site isolation: what each role may read, identify and write, on SQLite and PostgreSQL.

Roles are looped over inside a test rather than parametrised: every test costs a fresh
database on each back end, and the roles share one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from tests.store.helpers import AE, SITE_ROLES, STUDY_ROLES, TODAY, World

from remission.store import accounts, events, patients
from remission.store.actor import AccessDenied, Actor
from remission.store.errors import NotFound, Refused
from remission.store.models import AdverseEvent, MRDMeasurement, Patient, PatientIdentifiers, Site, User
from remission.store.vocabulary import Role

MRD = {
    "time_point": "end of induction",
    "method": "flow cytometry",
    "sample_date": date(2025, 2, 7),
    "value_fraction": 3e-4,
    "sensitivity_fraction": 1e-5,
}
READ_ONLY_STUDY_ROLES = (Role.ADMIN, Role.STATISTICIAN, Role.MONITOR)


@pytest.fixture
def two_patients(world: World) -> dict[str, Any]:
    """One patient per site, each with an MRD result, an adverse event and identifiers."""
    ids: dict[str, Any] = {}
    for site in ("SEV", "SNU"):
        patient_id = world.register(
            f"{site}-001", site, identifiers={"full_name": f"Child of {site}", "medical_record_number": site}
        )
        with world.session(world.system) as session:
            mrd = events.create_row(session, model=MRDMeasurement, patient_id=patient_id, values=MRD)
            ae = events.create_row(session, model=AdverseEvent, patient_id=patient_id, values=AE)
            ids[site] = {"patient": patient_id, "mrd": mrd.id, "ae": ae.id}
    return ids


def add_directly(world: World, actor: Actor, row: object) -> None:
    """Add a hand-built row in the actor's session and flush, bypassing the store's services."""
    with world.session(actor) as session:
        session.add(row)
        session.flush()


def move_patient(world: World, actor: Actor, patient_id: int, site_id: int) -> None:
    with world.session(actor, reason="transfer") as session:
        patients.get_patient(session, patient_id=patient_id).site_id = site_id
        session.flush()


def register_new(world: World, actor: Actor, study_id: str, site_id: int) -> None:
    with world.session(actor) as session:
        patients.register_patient(
            session,
            study_id=study_id,
            site_id=site_id,
            sex="female",
            date_of_birth=date(2025, 1, 1),
            baseline={},
            identifiers=None,
            today=TODAY,
        )


def bulk(world: World, actor: Actor, statement: Any) -> None:
    """Execute an ORM-enabled bulk statement in the actor's session; a refusal is an acceptable outcome."""
    try:
        with world.session(actor, reason="bulk correction") as session:
            session.execute(statement)
    except AccessDenied:
        pass


def count(world: World, model: type) -> int:
    with world.store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model)) or 0


class TestSiteRoleReads:
    def test_lists_only_own_site_patients(self, world: World, two_patients: dict[str, Any]):
        """Coordinators and investigators of SEV list SEV's patients and none of SNU's."""
        for role in SITE_ROLES:
            with world.session(world.actor(role, "SEV")) as session:
                listed = [p.study_id for p in patients.list_patients(session)]
                by_other_site = patients.list_patients(session, site_code="SNU")
                by_search = patients.list_patients(session, search="001")
            assert listed == ["SEV-001"], role
            assert by_other_site == [], role
            assert [p.study_id for p in by_search] == ["SEV-001"], role

    def test_other_site_patient_is_not_found(self, world: World, two_patients: dict[str, Any]):
        """get_patient of another site's id raises NotFound, as if the id did not exist."""
        for role in SITE_ROLES:
            with world.session(world.actor(role, "SEV")) as session:
                assert (
                    patients.get_patient(session, patient_id=two_patients["SEV"]["patient"]).study_id
                    == "SEV-001"
                )
                with pytest.raises(NotFound) as raised:
                    patients.get_patient(session, patient_id=two_patients["SNU"]["patient"])
            assert raised.value.key == two_patients["SNU"]["patient"], role

    def test_other_site_course_rows_are_invisible(self, world: World, two_patients: dict[str, Any]):
        """MRD results and adverse events of SNU are neither listed, selected nor fetched by id at SEV."""
        sev, snu = two_patients["SEV"], two_patients["SNU"]
        with world.session(world.actor(Role.COORDINATOR, "SEV")) as session:
            assert [row.id for row in session.scalars(select(MRDMeasurement))] == [sev["mrd"]]
            assert [row.id for row in session.scalars(select(AdverseEvent))] == [sev["ae"]]
            assert session.scalar(select(func.count()).select_from(AdverseEvent)) == 1
            assert session.get(MRDMeasurement, snu["mrd"]) is None
            assert session.get(AdverseEvent, snu["ae"]) is None
            with pytest.raises(NotFound):
                events.list_rows(session, model=MRDMeasurement, patient_id=snu["patient"])
            with pytest.raises(NotFound):
                events.get_row(session, model=AdverseEvent, patient_id=snu["patient"], row_id=snu["ae"])
            with pytest.raises(NotFound):
                events.get_row(session, model=AdverseEvent, patient_id=sev["patient"], row_id=snu["ae"])
            assert [
                r.id for r in events.list_rows(session, model=AdverseEvent, patient_id=sev["patient"])
            ] == [sev["ae"]]

    def test_isolation_holds_in_both_directions(self, world: World, two_patients: dict[str, Any]):
        """SNU's investigator sees SNU's patient and rows only."""
        with world.session(world.actor(Role.INVESTIGATOR, "SNU")) as session:
            assert [p.study_id for p in patients.list_patients(session)] == ["SNU-001"]
            assert [row.id for row in session.scalars(select(MRDMeasurement))] == [two_patients["SNU"]["mrd"]]
            with pytest.raises(NotFound):
                patients.get_patient(session, patient_id=two_patients["SEV"]["patient"])


class TestStudyRoleReads:
    def test_study_roles_read_every_site(self, world: World, two_patients: dict[str, Any]):
        """Admin, data manager, statistician and monitor list and fetch the rows of every site."""
        for role in STUDY_ROLES:
            with world.session(world.actor(role)) as session:
                listed = [p.study_id for p in patients.list_patients(session)]
                assert listed == ["SEV-001", "SNU-001"], role
                assert (
                    patients.get_patient(session, patient_id=two_patients["SNU"]["patient"]).study_id
                    == "SNU-001"
                )
                assert len(list(session.scalars(select(MRDMeasurement)))) == 2, role
                assert session.get(AdverseEvent, two_patients["SNU"]["ae"]) is not None, role
                assert [p.study_id for p in patients.list_patients(session, site_code="SNU")] == ["SNU-001"]


class TestIdentifiers:
    def test_own_site_roles_read_identifiers(self, world: World, two_patients: dict[str, Any]):
        """Coordinators and investigators of the patient's own site read the direct identifiers."""
        for role in SITE_ROLES:
            with world.session(world.actor(role, "SNU")) as session:
                identifiers = patients.read_identifiers(session, patient_id=two_patients["SNU"]["patient"])
                assert (identifiers.full_name, identifiers.medical_record_number) == ("Child of SNU", "SNU")

    def test_other_site_roles_get_not_found(self, world: World, two_patients: dict[str, Any]):
        """A site role of another site cannot read the identifiers (the patient is not found)."""
        with world.session(world.actor(Role.INVESTIGATOR, "SEV")) as session:
            with pytest.raises(NotFound):
                patients.read_identifiers(session, patient_id=two_patients["SNU"]["patient"])
            assert [row.full_name for row in session.scalars(select(PatientIdentifiers))] == ["Child of SEV"]

    def test_study_roles_get_not_found(self, world: World, two_patients: dict[str, Any]):
        """Study-level roles read the patient but get NotFound for its identifiers, and select none."""
        for role in STUDY_ROLES:
            with world.session(world.actor(role)) as session:
                patient_id = two_patients["SEV"]["patient"]
                assert patients.get_patient(session, patient_id=patient_id).study_id == "SEV-001"
                with pytest.raises(NotFound) as raised:
                    patients.read_identifiers(session, patient_id=patient_id)
                assert raised.value.entity == "identifiers of patient", role
                assert list(session.scalars(select(PatientIdentifiers))) == [], role


class TestWrites:
    def test_read_only_study_roles_may_not_write(self, world: World, two_patients: dict[str, Any]):
        """Statistician, monitor and admin creating, changing or registering raise AccessDenied."""
        sev = two_patients["SEV"]
        for role in READ_ONLY_STUDY_ROLES:
            actor = world.actor(role)
            with pytest.raises(AccessDenied), world.session(actor) as session:
                events.create_row(session, model=MRDMeasurement, patient_id=sev["patient"], values=MRD)
            with pytest.raises(AccessDenied), world.session(actor, reason="correction") as session:
                events.update_row(
                    session,
                    model=AdverseEvent,
                    patient_id=sev["patient"],
                    row_id=sev["ae"],
                    version=1,
                    values={"grade": 4},
                )
            with pytest.raises(AccessDenied):
                register_new(world, actor, f"NEW-{role.value}", world.sev)
        assert (count(world, MRDMeasurement), count(world, Patient)) == (2, 2)
        with world.session(world.system) as session:
            assert session.get(AdverseEvent, sev["ae"]).grade == 3

    def test_data_manager_writes_any_site(self, world: World, two_patients: dict[str, Any]):
        """The data manager may write clinical rows of every site."""
        with world.session(world.actor(Role.DATA_MANAGER)) as session:
            for site in ("SEV", "SNU"):
                row = events.create_row(
                    session, model=AdverseEvent, patient_id=two_patients[site]["patient"], values=AE
                )
                assert row.site_id == world.sites[site]
        register_new(world, world.actor(Role.DATA_MANAGER), "SNU-002", world.snu)
        assert (count(world, AdverseEvent), count(world, Patient)) == (4, 3)

    def test_site_roles_write_own_site(self, world: World, two_patients: dict[str, Any]):
        """Coordinators and investigators write rows of their own site's patients."""
        for role in SITE_ROLES:
            with world.session(world.actor(role, "SEV")) as session:
                row = events.create_row(
                    session, model=MRDMeasurement, patient_id=two_patients["SEV"]["patient"], values=MRD
                )
            assert row.site_id == world.sev, role
        assert count(world, MRDMeasurement) == 4

    def test_coordinator_cannot_write_other_site_row_directly(
        self, world: World, two_patients: dict[str, Any]
    ):
        """An MRD row built by hand with SNU's site and patient is refused at flush for SEV's coordinator."""
        row = MRDMeasurement(patient_id=two_patients["SNU"]["patient"], site_id=world.snu, **MRD)
        with pytest.raises(AccessDenied, match="site"):
            add_directly(world, world.actor(Role.COORDINATOR, "SEV"), row)
        assert count(world, MRDMeasurement) == 2

    def test_coordinator_cannot_attach_own_site_row_to_other_site_patient(
        self, world: World, two_patients: dict[str, Any]
    ):
        """A row labelled with the coordinator's own site but pointing at SNU's patient is refused."""
        row = MRDMeasurement(patient_id=two_patients["SNU"]["patient"], site_id=world.sev, **MRD)
        with pytest.raises(AccessDenied, match="patient's site"):
            add_directly(world, world.actor(Role.COORDINATOR, "SEV"), row)
        assert count(world, MRDMeasurement) == 2

    def test_site_role_cannot_register_or_move_patients_elsewhere(
        self, world: World, two_patients: dict[str, Any]
    ):
        """A site role may neither register a patient at another site nor move one there."""
        actor = world.actor(Role.INVESTIGATOR, "SEV")
        with pytest.raises(AccessDenied):
            register_new(world, actor, "SNU-009", world.snu)
        with pytest.raises(AccessDenied):
            move_patient(world, actor, two_patients["SEV"]["patient"], world.snu)
        with world.session(world.system) as session:
            assert session.get(Patient, two_patients["SEV"]["patient"]).site_id == world.sev
        assert count(world, Patient) == 2


class TestBulkStatements:
    def test_bulk_update_cannot_reach_other_sites(self, world: World, two_patients: dict[str, Any]):
        """A bulk UPDATE issued by SEV's coordinator leaves SNU's rows as they were."""
        bulk(world, world.actor(Role.COORDINATOR, "SEV"), update(AdverseEvent).values(grade=5))
        with world.session(world.system) as session:
            assert session.get(AdverseEvent, two_patients["SNU"]["ae"]).grade == 3

    def test_bulk_delete_refused_to_read_only_roles(self, world: World, two_patients: dict[str, Any]):
        """A bulk DELETE issued by a statistician removes nothing."""
        bulk(world, world.actor(Role.STATISTICIAN), delete(AdverseEvent))
        assert count(world, AdverseEvent) == 2


class TestAccountManagement:
    def test_only_admin_or_system_adds_sites_and_users(self, world: World):
        """Every role but admin is refused when adding a site or a user."""
        others = [(Role.DATA_MANAGER, None), (Role.STATISTICIAN, None), (Role.MONITOR, None)]
        others += [(role, "SEV") for role in SITE_ROLES]
        for role, site in others:
            actor = world.actor(role, site)
            with pytest.raises(AccessDenied), world.session(actor) as session:
                accounts.add_site(session, code="AMC", name="Asan Medical Center")
            with pytest.raises(AccessDenied), world.session(actor) as session:
                accounts.add_user(
                    session,
                    username="intruder",
                    full_name="Intruder",
                    password="long enough password",
                    role=Role.ADMIN,
                    site_code=None,
                )
        assert count(world, Site) == 2
        with world.session(world.system) as session:
            assert session.scalar(select(User).where(User.username == "intruder")) is None

    def test_admin_adds_sites_and_users(self, world: World):
        """The admin adds a site and a coordinator of it, who can then log in."""
        with world.session(world.actor(Role.ADMIN)) as session:
            site = accounts.add_site(session, code="AMC", name="Asan Medical Center")
            user = accounts.add_user(
                session,
                username="amc-coordinator",
                full_name="A. Coordinator",
                password="long enough password",
                role=Role.COORDINATOR,
                site_code="AMC",
            )
        with world.session(world.system) as session:
            actor = accounts.authenticate(
                session, username="amc-coordinator", password="long enough password"
            )
            assert (
                accounts.authenticate(session, username="amc-coordinator", password="wrong password!!")
                is None
            )
        assert actor is not None
        assert actor.user_id == user.id
        assert actor.site_roles == {site.id: frozenset({Role.COORDINATOR})}
        assert count(world, Site) == 3

    def test_system_adds_sites(self, world: World):
        """The system actor (the command line) may add sites; a taken code is refused."""
        with world.session(world.system) as session:
            accounts.add_site(session, code="AMC", name="Asan Medical Center")
        with pytest.raises(Refused) as raised, world.session(world.system) as session:
            accounts.add_site(session, code="SEV", name="Another Severance")
        assert raised.value.field == "code"
        assert count(world, Site) == 3

    @pytest.mark.parametrize(
        ("role", "site", "password", "field"),
        [
            (Role.COORDINATOR, None, "long enough password", "site"),
            (Role.MONITOR, "SEV", "long enough password", "site"),
            (Role.MONITOR, None, "too short", "password"),
            (Role.COORDINATOR, "XYZ", "long enough password", "site"),
        ],
    )
    def test_inconsistent_users_are_refused(
        self, world: World, role: Role, site: str | None, password: str, field: str
    ):
        """A site role needs a site, a study role must not have one, passwords need 12 characters."""
        with pytest.raises((Refused, NotFound)) as raised, world.session(world.system) as session:
            accounts.add_user(
                session, username="someone", full_name="Someone", password=password, role=role, site_code=site
            )
        assert getattr(raised.value, "field", getattr(raised.value, "entity", None)) == field
        assert count(world, User) == 0
