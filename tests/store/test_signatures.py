"""Electronic signatures in the store: who may sign, the two components (§11.200), the digest bound to the
content, invalidation on any later change (§11.70), and a signature that cannot be changed or removed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from tests.store.helpers import NCT, PASSWORD, World, attestations_of, example

from remission.store import (
    AdverseEvent,
    SignatureMeaning,
    SignatureState,
    SignedUnit,
    UnitRef,
    events,
    list_signatures,
    required_signatures,
    sign_units,
    start_session,
    verify_signatures,
)
from remission.store.actor import AccessDenied
from remission.store.enrollment import enroll_patient
from remission.store.errors import NotFound, Refused
from remission.store.signature_models import Signature
from remission.store.vocabulary import Role

SAE = {
    "term": "Febrile neutropenia",
    "grade": 3,
    "onset_date": date(2025, 6, 10),
    "serious": True,
    "attribution": "probable",
}


def enrolled(world: World, study_id: str = "INF-02", site: str = "SNU") -> int:
    """A patient registered and enrolled in NCT06516679 at ``site``."""
    record = example(study_id)
    patient_id = world.register(study_id, site, record=record)
    with world.session(world.actor(Role.INVESTIGATOR, site)) as session:
        enroll_patient(
            session,
            patient_id=patient_id,
            protocol_id=NCT,
            enrolled_on=date.fromisoformat(record["study_entry_date"]),
            attestations=attestations_of(record),
        )
    return patient_id


def add_sae(world: World, patient_id: int, site: str = "SNU") -> int:
    with world.session(world.actor(Role.COORDINATOR, site)) as session:
        return events.create_row(session, model=AdverseEvent, patient_id=patient_id, values=dict(SAE)).id


def sign(
    world: World, patient_id: int, unit: SignedUnit, row_id: int | None = None, **kwargs: object
) -> list[Signature]:
    actor = world.actor(Role.INVESTIGATOR, "SNU")
    options = {"username": actor.username, "password": PASSWORD, **kwargs}
    with world.session(actor) as session:
        return sign_units(
            session,
            units=[UnitRef(patient_id, unit, row_id)],
            meaning=SignatureMeaning.REVIEW,
            **options,  # type: ignore[arg-type]
        )


class TestSigning:
    def test_signature_keeps_signer_time_meaning_and_digest(self, world: World) -> None:
        """A signature stores the signer's name, UTC time, meaning, attestation and a SHA-256 digest."""
        patient_id = enrolled(world)
        sae = add_sae(world, patient_id)
        (signature,) = sign(world, patient_id, SignedUnit.SERIOUS_ADVERSE_EVENT, sae)
        assert signature.signer_username == "investigator-snu"
        assert signature.meaning is SignatureMeaning.REVIEW
        assert signature.signed_at.tzinfo is not None
        assert len(signature.content_digest) == 64
        assert "investigator-snu" in signature.attestation
        assert "review" in signature.attestation

    def test_wrong_password_is_refused_and_writes_nothing(self, world: World) -> None:
        """A wrong password refuses the signing, naming the password field, and stores no signature."""
        patient_id = enrolled(world)
        with pytest.raises(Refused) as refused:
            sign(world, patient_id, SignedUnit.CASEBOOK, password="not the password")
        assert refused.value.field == "password"
        with world.session(world.system) as session:
            assert list_signatures(session, patient_id=patient_id) == []

    def test_first_signing_of_a_session_needs_the_user_name(self, world: World) -> None:
        """§11.200: the first signing in a session needs user name and password, a later one the password."""
        from datetime import timedelta

        patient_id = enrolled(world)
        actor = world.actor(Role.INVESTIGATOR, "SNU")
        session_id = start_session(
            world.store,
            user_id=actor.user_id,
            kind="web",
            idle=timedelta(hours=1),
            lifetime=timedelta(hours=8),
        )
        with pytest.raises(Refused) as refused:
            sign(world, patient_id, SignedUnit.CASEBOOK, username=None, signing_session=session_id)
        assert refused.value.field == "username"
        sign(world, patient_id, SignedUnit.CASEBOOK, signing_session=session_id)
        eligibility = enrolled_row(world, patient_id)
        (later,) = sign(
            world, patient_id, SignedUnit.ELIGIBILITY, eligibility, username=None, signing_session=session_id
        )
        assert later.valid

    def test_a_role_the_protocol_does_not_name_may_not_sign(self, world: World) -> None:
        """A coordinator is not a signer of NCT06516679; signing is refused naming the patient."""
        patient_id = enrolled(world)
        actor = world.actor(Role.COORDINATOR, "SNU")
        with world.session(actor) as session, pytest.raises(Refused) as refused:
            sign_units(
                session,
                units=[UnitRef(patient_id, SignedUnit.CASEBOOK)],
                meaning=SignatureMeaning.APPROVAL,
                username=actor.username,
                password=PASSWORD,
            )
        assert refused.value.field == "patient"

    def test_another_sites_patient_is_not_found(self, world: World) -> None:
        """An investigator of SNU cannot sign a SEV patient's casebook: it is not found."""
        patient_id = enrolled(world, "INF-01", "SEV")
        with pytest.raises(NotFound):
            sign(world, patient_id, SignedUnit.CASEBOOK)

    def test_a_non_serious_adverse_event_is_not_signed_as_serious(self, world: World) -> None:
        """Only a serious adverse event is a signable unit of that kind."""
        patient_id = enrolled(world)
        with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
            row = events.create_row(
                session, model=AdverseEvent, patient_id=patient_id, values={**SAE, "serious": False}
            )
        with pytest.raises(Refused) as refused:
            sign(world, patient_id, SignedUnit.SERIOUS_ADVERSE_EVENT, row.id)
        assert refused.value.field == "row_id"


def enrolled_row(world: World, patient_id: int) -> int:
    from remission.store import list_enrollments

    with world.session(world.system) as session:
        return list_enrollments(session, patient_id=patient_id)[0].id


class TestInvalidation:
    def test_a_change_to_the_signed_row_invalidates_its_signature(self, world: World) -> None:
        """Changing the signed SAE's grade marks its signature invalidated, saying what changed and who."""
        patient_id = enrolled(world)
        sae = add_sae(world, patient_id)
        sign(world, patient_id, SignedUnit.SERIOUS_ADVERSE_EVENT, sae)
        with world.session(world.actor(Role.COORDINATOR, "SNU"), reason="grade corrected") as session:
            events.update_row(
                session, model=AdverseEvent, patient_id=patient_id, row_id=sae, version=1, values={"grade": 4}
            )
        with world.session(world.system) as session:
            (signature,) = list_signatures(session, patient_id=patient_id)
            assert not signature.valid
            assert "grade" in (signature.invalidated_because or "")
            assert "coordinator-snu" in (signature.invalidated_because or "")

    def test_a_new_row_invalidates_the_casebook_but_not_a_row_signature(self, world: World) -> None:
        """A new adverse event changes the casebook (invalidated) but not the signed SAE (still valid)."""
        patient_id = enrolled(world)
        sae = add_sae(world, patient_id)
        sign(world, patient_id, SignedUnit.SERIOUS_ADVERSE_EVENT, sae)
        sign(world, patient_id, SignedUnit.CASEBOOK)
        add_sae(world, patient_id)
        with world.session(world.system) as session:
            states = {s.unit: s.valid for s in list_signatures(session, patient_id=patient_id)}
        assert states == {SignedUnit.SERIOUS_ADVERSE_EVENT: True, SignedUnit.CASEBOOK: False}

    def test_a_write_that_changes_no_value_keeps_the_signature(self, world: World) -> None:
        """Writing the same grade again changes nothing signed; the signature stays valid."""
        patient_id = enrolled(world)
        sae = add_sae(world, patient_id)
        sign(world, patient_id, SignedUnit.CASEBOOK)
        with world.session(world.actor(Role.COORDINATOR, "SNU"), reason="no change") as session:
            events.update_row(
                session, model=AdverseEvent, patient_id=patient_id, row_id=sae, version=1, values={"grade": 3}
            )
        with world.session(world.system) as session:
            assert all(s.valid for s in list_signatures(session, patient_id=patient_id))

    def test_required_signatures_show_invalidated_then_valid_after_re_signing(self, world: World) -> None:
        """The plan's SAE signature reads invalidated after an edit, and valid once signed again."""
        patient_id = enrolled(world)
        sae = add_sae(world, patient_id)
        sign(world, patient_id, SignedUnit.SERIOUS_ADVERSE_EVENT, sae)
        with world.session(world.actor(Role.COORDINATOR, "SNU"), reason="grade corrected") as session:
            events.update_row(
                session, model=AdverseEvent, patient_id=patient_id, row_id=sae, version=1, values={"grade": 4}
            )

        def sae_state() -> SignatureState:
            with world.session(world.system) as session:
                from remission.store import get_patient

                patient = get_patient(session, patient_id=patient_id)
                return next(
                    s.state
                    for s in required_signatures(session, patient=patient)
                    if s.unit is SignedUnit.SERIOUS_ADVERSE_EVENT
                )

        assert sae_state() is SignatureState.INVALIDATED
        sign(world, patient_id, SignedUnit.SERIOUS_ADVERSE_EVENT, sae)
        assert sae_state() is SignatureState.VALID


def tamper(world: World, signature_id: int, *, delete: bool = False, row_id: int | None = None) -> None:
    """Delete a stored signature or point it at another row, as a data manager would try to."""
    with world.session(world.actor(Role.DATA_MANAGER), reason="x") as session:
        stored = session.get(Signature, signature_id)
        if delete:
            session.delete(stored)
        else:
            stored.row_id = row_id


class TestBinding:
    def test_a_signature_cannot_be_deleted_or_moved(self, world: World) -> None:
        """The store refuses deleting a signature or pointing it at another row."""
        patient_id = enrolled(world)
        sae = add_sae(world, patient_id)
        other = add_sae(world, patient_id)
        (signature,) = sign(world, patient_id, SignedUnit.SERIOUS_ADVERSE_EVENT, sae)
        with pytest.raises(AccessDenied):
            tamper(world, signature.id, delete=True)
        with pytest.raises(AccessDenied):
            tamper(world, signature.id, row_id=other)

    def test_signing_is_audited(self, world: World) -> None:
        """The signature's creation is an entry of the audit chain with its digest and meaning."""
        patient_id = enrolled(world)
        (signature,) = sign(world, patient_id, SignedUnit.CASEBOOK)
        rows = world.audit_rows(entity="signatures", entity_id=signature.id)
        fields = {row["field"]: row["new_value"] for row in rows}
        assert fields["content_digest"] == f'"{signature.content_digest}"'
        assert fields["meaning"] == '"review"'


def problems_found(world: World) -> list[str]:
    with world.session(world.actor(Role.MONITOR)) as session:
        return [f"{p.signature_id}: {p.problem}" for p in verify_signatures(session)]


class TestVerification:
    """Tampering past the store (plain SQL on the database) is found by replaying the audit trail."""

    def test_untouched_signatures_verify(self, world: World) -> None:
        """Signatures made and invalidated through the store verify with no problem."""
        patient_id = enrolled(world)
        sae = add_sae(world, patient_id)
        sign(world, patient_id, SignedUnit.SERIOUS_ADVERSE_EVENT, sae)
        sign(world, patient_id, SignedUnit.CASEBOOK)
        add_sae(world, patient_id)  # invalidates the casebook signature, audited
        assert problems_found(world) == []

    def test_a_signature_moved_to_another_row_is_found(self, world: World) -> None:
        """Pointing a signature at another adverse event in SQL is reported as differing in row_id."""
        patient_id = enrolled(world)
        sae, other = add_sae(world, patient_id), add_sae(world, patient_id)
        (signature,) = sign(world, patient_id, SignedUnit.SERIOUS_ADVERSE_EVENT, sae)
        with world.store.engine.begin() as connection:
            connection.execute(
                text("UPDATE signatures SET row_id = :o WHERE id = :s"), {"o": other, "s": signature.id}
            )
        assert problems_found(world) == [f"{signature.id}: differs from its audited signing in row_id"]

    def test_an_excised_signature_is_found(self, world: World) -> None:
        """Deleting a signature row in SQL is reported: audited as signed, but gone."""
        patient_id = enrolled(world)
        (signature,) = sign(world, patient_id, SignedUnit.CASEBOOK)
        with world.store.engine.begin() as connection:
            connection.execute(text("DELETE FROM signatures WHERE id = :s"), {"s": signature.id})
        assert problems_found(world) == [f"{signature.id}: audited as signed, but the signature is gone"]

    def test_a_copied_signature_is_found(self, world: World) -> None:
        """A signature row inserted in SQL (copied from another) has no audited signing."""
        patient_id = enrolled(world)
        sae, other = add_sae(world, patient_id), add_sae(world, patient_id)
        sign(world, patient_id, SignedUnit.SERIOUS_ADVERSE_EVENT, sae)
        columns = (
            "unit, meaning, signer_user_id, signer_username, signer_name, signed_at, attestation, "
            "content_digest, patient_id, site_id, version, created_at"
        )
        with world.store.engine.begin() as connection:
            connection.execute(
                text(f"INSERT INTO signatures (row_id, {columns}) SELECT :o, {columns} FROM signatures"),
                {"o": other},
            )
        (problem,) = problems_found(world)
        assert problem.endswith("stored without an audited signing")

    def test_content_changed_past_the_store_is_found(self, world: World) -> None:
        """A signed SAE's grade changed in SQL leaves a valid signature whose digest no longer matches."""
        patient_id = enrolled(world)
        sae = add_sae(world, patient_id)
        (signature,) = sign(world, patient_id, SignedUnit.SERIOUS_ADVERSE_EVENT, sae)
        with world.store.engine.begin() as connection:
            connection.execute(text("UPDATE adverse_events SET grade = 4 WHERE id = :a"), {"a": sae})
        assert problems_found(world) == [
            f"{signature.id}: valid, but its record's content changed past the store"
        ]


def test_the_signer_is_told_when_their_signature_is_invalidated(world: World) -> None:
    """An edit that invalidates a signature puts a notice in the signer's inbox, naming the study id only."""
    from remission.store import NotificationKind, list_notifications

    patient_id = enrolled(world)
    sae = add_sae(world, patient_id)
    sign(world, patient_id, SignedUnit.SERIOUS_ADVERSE_EVENT, sae)
    with world.session(world.actor(Role.COORDINATOR, "SNU"), reason="grade corrected") as session:
        events.update_row(
            session, model=AdverseEvent, patient_id=patient_id, row_id=sae, version=1, values={"grade": 4}
        )
    with world.session(world.actor(Role.INVESTIGATOR, "SNU")) as session:
        notices = [n for n in list_notifications(session) if n.kind is NotificationKind.SIGNATURE_INVALIDATED]
    assert len(notices) == 1
    assert "INF-02" in notices[0].summary or notices[0].study_id == "INF-02"
