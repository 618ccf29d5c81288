"""Consent form versions in the store: who manages them, consents checked against them, enrollment
resting on a valid one, the re-consent list and the consent actions, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from tests.store.helpers import NCT, TODAY, World, attestations_of, example

from remission.errors import InputError
from remission.record.vocabulary import ConsentKind
from remission.store import (
    add_consent_version,
    events,
    list_consent_versions,
    patient_consent_actions,
    reconsent_list,
    site_consent_actions,
    update_consent_version,
)
from remission.store.actor import AccessDenied
from remission.store.consent_models import ConsentFormVersion
from remission.store.enrollment import enroll_patient
from remission.store.errors import Refused
from remission.store.models import ConsentRecord, Death, Enrollment, Patient
from remission.store.vocabulary import Role

PP = ConsentKind.PARENTAL_PERMISSION
V1 = {
    "protocol_id": NCT,
    "kind": PP,
    "label": "v1",
    "approved_on": date(2025, 1, 10),
    "approved_by": "Yonsei IRB",
}
V2 = {**V1, "label": "v2", "approved_on": date(2025, 9, 1)}


def register_version(world: World, values: dict, role: Role = Role.DATA_MANAGER) -> int:
    with world.session(world.actor(role)) as session:
        return add_consent_version(session, today=TODAY, **values).id


def consent(world: World, patient: int, day: date, label: str, *, given_by: str = "parents") -> int:
    with world.session(world.actor(Role.DATA_MANAGER)) as session:
        values = {"given_by": given_by, "date": day, "form_version": label, "protocol_id": NCT}
        return events.create_row(
            session, model=ConsentRecord, patient_id=patient, values=values, today=TODAY
        ).id


def consent_count(world: World) -> int:
    with world.store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(ConsentRecord)) or 0


def enroll(world: World, patient: int, study_id: str = "INF-02", site: str = "SNU") -> Enrollment:
    record = example(study_id)
    with world.session(world.actor(Role.INVESTIGATOR, site)) as session:
        return enroll_patient(
            session,
            patient_id=patient,
            protocol_id=NCT,
            enrolled_on=date.fromisoformat(record["study_entry_date"]),
            attestations=attestations_of(record),
        )


@pytest.fixture
def inf02(world: World) -> int:
    """INF-02 (born 2024-11-20) at SNU, without a consent."""
    return world.register("INF-02", "SNU", record=example("INF-02"), consent=False)


@pytest.fixture
def enrolled(world: World, inf02: int) -> int:
    """INF-02 with parental permission on v1 (2025-03-25), enrolled in NCT06516679."""
    register_version(world, V1)
    consent(world, inf02, date(2025, 3, 25), "v1")
    enroll(world, inf02)
    return inf02


class TestManagingVersions:
    def test_a_data_manager_registers_a_version_and_it_is_audited(self, world: World):
        """A data manager's new version is stored and its creation is in the audit trail."""
        version_id = register_version(world, V1)
        with world.session(world.actor(Role.COORDINATOR, "SEV")) as session:
            assert [v.id for v in list_consent_versions(session, protocol_id=NCT)] == [version_id]
        assert world.audit_rows(entity="consent_form_versions", entity_id=version_id, field="label")

    @pytest.mark.parametrize("role", [Role.COORDINATOR, Role.INVESTIGATOR, Role.MONITOR, Role.STATISTICIAN])
    def test_other_roles_may_not_register(self, world: World, role: Role):
        """Site staff, monitors and statisticians are refused, and nothing is stored."""
        who = world.actor(role, "SEV" if role.site_level else None)
        with pytest.raises(AccessDenied), world.session(who) as session:
            add_consent_version(session, today=TODAY, **V1)
        with world.session(world.system) as session:
            assert list_consent_versions(session) == []

    def test_a_taken_label_is_refused_naming_label(self, world: World):
        """A second v1 of the same form of the same study is refused on label."""
        register_version(world, V1)
        with pytest.raises(Refused) as refused:
            register_version(world, {**V1, "approved_on": date(2025, 2, 1)})
        assert refused.value.field == "label"

    def test_an_approval_needs_the_committee_and_a_past_date(self, world: World):
        """An approval after today and one without the committee are refused, each naming its field."""
        with pytest.raises(InputError) as refused:
            register_version(world, {**V1, "approved_on": date(2027, 1, 1), "approved_by": None})
        assert {p.field for p in refused.value.problems} == {"approved_on", "approved_by"}

    def test_an_unknown_protocol_is_refused_naming_protocol_id(self, world: World):
        """A version of a study that is not shipped is refused on protocol_id."""
        with pytest.raises(InputError) as refused:
            register_version(world, {**V1, "protocol_id": "NCT00000000"})
        assert refused.value.problems[0].field == "protocol_id"

    def test_a_version_is_never_deleted(self, world: World):
        """Deleting a version is refused even for an administrator."""
        version_id = register_version(world, V1)
        with world.session(world.actor(Role.ADMIN), reason="entered in error") as session:
            session.delete(session.get(ConsentFormVersion, version_id))
            with pytest.raises(AccessDenied):
                session.flush()
            session.rollback()

    def test_retiring_before_a_stored_consent_is_refused(self, world: World, enrolled: int):
        """A retirement date on or before a consent given on the version is refused naming retired_on."""
        with world.session(world.system) as session:
            version_id = list_consent_versions(session)[0].id
        with (
            pytest.raises(Refused) as refused,
            world.session(world.actor(Role.DATA_MANAGER), reason="superseded") as session,
        ):
            update_consent_version(
                session,
                version_id=version_id,
                version=1,
                values={"retired_on": date(2025, 3, 1)},
                today=TODAY,
            )
        assert refused.value.field == "retired_on"


class TestConsentsOnVersions:
    def test_a_consent_before_its_versions_approval_is_refused(self, world: World, inf02: int):
        """Parental permission dated before v2's approval is refused on form_version; nothing is stored."""
        register_version(world, V1)
        register_version(world, V2)
        before = consent_count(world)
        with pytest.raises(Refused) as refused:
            consent(world, inf02, date(2025, 8, 31), "v2")
        assert refused.value.field == "form_version"
        assert "approved on 2025-09-01" in refused.value.problem
        assert consent_count(world) == before

    def test_a_consent_on_a_retired_version_is_refused(self, world: World, inf02: int):
        """A consent dated on the day its version was retired is refused; the day before is accepted."""
        register_version(world, {**V1, "retired_on": date(2025, 9, 1)})
        consent(world, inf02, date(2025, 8, 31), "v1")
        with pytest.raises(Refused, match="retired on 2025-09-01"):
            consent(world, inf02, date(2025, 9, 1), "v1")

    def test_an_unregistered_label_is_refused_listing_the_registered(self, world: World, inf02: int):
        """A label the study has not registered is refused, naming the registered ones."""
        register_version(world, V1)
        with pytest.raises(Refused, match=r"registered: v1"):
            consent(world, inf02, date(2025, 3, 25), "v9")

    def test_an_assent_needs_an_assent_version(self, world: World, inf02: int):
        """A child's assent on a parental permission label is refused: the study has no assent form."""
        register_version(world, V1)
        with pytest.raises(Refused, match="no assent form version"):
            consent(world, inf02, date(2025, 3, 25), "v1", given_by="child")

    def test_a_consent_naming_no_study_is_not_checked(self, world: World):
        """A consent without a study (as before migration 0014) is stored whatever its version says."""
        world.register("INF-01", "SEV", record=example("INF-01"))
        assert consent_count(world) == 1


class TestEnrollmentRestsOnAValidConsent:
    def test_enrollment_on_a_valid_consent_succeeds(self, world: World, enrolled: int):
        """Parental permission on v1, approved before it, carries the enrollment."""
        with world.session(world.system) as session:
            assert (
                session.scalar(select(Enrollment.protocol_id).where(Enrollment.patient_id == enrolled)) == NCT
            )

    def test_enrollment_on_a_consent_naming_no_version_is_refused(self, world: World):
        """Once the study registers versions, a consent naming no study is refused on consent."""
        patient = world.register("INF-02", "SNU", record=example("INF-02"))
        register_version(world, V1)
        with pytest.raises(Refused) as refused:
            enroll(world, patient)
        assert refused.value.field == "consent"
        assert "names no NCT06516679 form version" in refused.value.problem

    def test_enrollment_without_parental_permission_is_refused(self, world: World, inf02: int):
        """An assent alone never carries an enrollment: the record has no consent, so the consent
        criterion is unresolved and the enrollment refused."""
        register_version(world, V1)
        register_version(world, {**V1, "kind": ConsentKind.ASSENT, "label": "assent v1"})
        consent(world, inf02, date(2025, 3, 25), "assent v1", given_by="child")
        with pytest.raises(Refused) as refused:
            enroll(world, inf02)
        assert refused.value.field == "attestations"
        assert "incl-consent" in refused.value.problem


class TestReconsent:
    def test_a_new_version_lists_who_consented_on_an_older_one(self, world: World, enrolled: int):
        """After v2 is approved the patient on v1 must re-consent; after consenting on v2, nobody."""
        v2 = register_version(world, V2)
        with world.session(world.actor(Role.DATA_MANAGER)) as session:
            assert [
                (line.study_id, line.latest_version) for line in reconsent_list(session, version_id=v2)
            ] == [("INF-02", "v1")]
        consent(world, enrolled, date(2025, 9, 15), "v2")
        with world.session(world.actor(Role.DATA_MANAGER)) as session:
            assert reconsent_list(session, version_id=v2) == []

    def test_the_list_is_site_scoped(self, world: World, enrolled: int):
        """SEV's coordinator does not see SNU's patient who must re-consent; SNU's does."""
        v2 = register_version(world, V2)
        with world.session(world.actor(Role.COORDINATOR, "SEV")) as session:
            assert reconsent_list(session, version_id=v2) == []
        with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
            assert len(reconsent_list(session, version_id=v2)) == 1

    def test_a_deceased_patient_is_not_listed(self, world: World, enrolled: int):
        """A patient with a recorded death is not asked to re-consent."""
        with world.session(world.system) as session:
            session.add(
                Death(patient_id=enrolled, site_id=world.snu, date=date(2025, 8, 1), cause="infection")
            )
        v2 = register_version(world, V2)
        with world.session(world.actor(Role.DATA_MANAGER)) as session:
            assert reconsent_list(session, version_id=v2) == []


class TestConsentActions:
    def test_assent_falls_due_at_the_protocols_assent_age(self, world: World, enrolled: int):
        """INF-02 (born 2024-11-20) owes assent from 2031-11-20 (7 years, the NCT06516679 parameter)."""
        with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
            before = patient_consent_actions(session, patient_id=enrolled, as_of=date(2031, 11, 19))
            after = patient_consent_actions(session, patient_id=enrolled, as_of=date(2031, 11, 20))
        assent = next(line.action for line in before if line.action.kind is ConsentKind.ASSENT)
        assert (assent.state.value, assent.due_from) == ("not yet", date(2031, 11, 20))
        assent = next(line.action for line in after if line.action.kind is ConsentKind.ASSENT)
        assert assent.state.value == "due"

    def test_a_study_role_gets_no_birthday(self, world: World, enrolled: int):
        """A data manager sees the state but not the date derived from the date of birth."""
        with world.session(world.actor(Role.DATA_MANAGER)) as session:
            lines = patient_consent_actions(session, patient_id=enrolled, as_of=date(2026, 1, 1))
        assent = next(line.action for line in lines if line.action.kind is ConsentKind.ASSENT)
        assert (assent.state.value, assent.due_from) == ("not yet", None)

    def test_a_missing_date_of_birth_is_unknown(self, world: World, enrolled: int):
        """Without a date of birth, assent and own consent are unknown, never guessed."""
        with world.session(world.system, reason="date of birth entered in error") as session:
            session.get(Patient, enrolled).date_of_birth = None
        with world.session(world.system) as session:
            lines = patient_consent_actions(session, patient_id=enrolled, as_of=date(2040, 1, 1))
        states = {line.action.kind: line.action.state.value for line in lines}
        assert states == {
            PP: "done",
            ConsentKind.ASSENT: "unknown",
            ConsentKind.PARTICIPANT_CONSENT: "unknown",
        }

    def test_the_site_list_holds_the_due_actions(self, world: World, enrolled: int):
        """After v2, SNU's list holds INF-02's parental re-consent; SEV's holds nothing."""
        register_version(world, V2)
        with world.session(world.actor(Role.DATA_MANAGER)) as session:
            snu = site_consent_actions(session, site_code="SNU", as_of=date(2025, 10, 1))
            sev = site_consent_actions(session, site_code="SEV", as_of=date(2025, 10, 1))
        assert [(line.study_id, line.action.kind, line.action.current_version) for line in snu] == [
            ("INF-02", PP, "v2")
        ]
        assert sev == []
