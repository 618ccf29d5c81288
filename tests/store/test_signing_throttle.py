"""A signing password counts against the sign-in throttle (21 CFR Part 11 §11.300(d)): wrong signing
passwords lock the account for sign-in too, a locked account cannot sign even with the right password,
a right one resets the account's counter as a sign-in does, and a refusal writes no signature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from tests.store.helpers import PASSWORD, World
from tests.store.test_signatures import enrolled

from remission.store import (
    SignatureMeaning,
    SignedUnit,
    SignInPolicy,
    Throttled,
    UnitRef,
    list_signatures,
    sign_in,
    sign_units,
)
from remission.store.errors import Refused
from remission.store.models import SignInThrottle, UserSession
from remission.store.signature_models import Signature
from remission.store.vocabulary import Role

POLICY = SignInPolicy(
    free_attempts=3,
    free_attempts_per_address=5,
    base_delay_seconds=10,
    max_lockout_seconds=60,
    forget_after_seconds=3600,
)
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WRONG = "not the password"


def sign(world: World, patient_id: int, password: str, at: datetime, **kwargs: object) -> list[Signature]:
    actor = world.actor(Role.INVESTIGATOR, "SNU")
    options = {"username": actor.username, **kwargs}
    with world.session(actor) as session:
        return sign_units(
            session,
            units=[UnitRef(patient_id, SignedUnit.CASEBOOK)],
            meaning=SignatureMeaning.REVIEW,
            password=password,
            policy=POLICY,
            now=at,
            **options,  # type: ignore[arg-type]
        )


def signatures(world: World, patient_id: int) -> list[Signature]:
    with world.session(world.system) as session:
        return list_signatures(session, patient_id=patient_id)


def throttle_failures(world: World) -> list[int]:
    with world.store.engine.connect() as connection:
        table = SignInThrottle.__table__
        return list(connection.execute(select(table.c.failures).order_by(table.c.kind)).scalars())


def sign_in_at(world: World, at: datetime, password: str = PASSWORD, address: str = "10.0.0.9") -> object:
    username = world.actor(Role.INVESTIGATOR, "SNU").username
    return sign_in(
        world.store, username=username, password=password, address=address, policy=POLICY, now=lambda: at
    )


class TestSigningThrottle:
    def test_wrong_signing_passwords_lock_the_account_for_sign_in_too(self, world: World) -> None:
        """The free attempts spent at signing: the next sign-in, even with the right password, is locked."""
        patient_id = enrolled(world)
        for _ in range(POLICY.free_attempts):
            with pytest.raises(Refused) as refused:
                sign(world, patient_id, WRONG, START)
            assert not isinstance(refused.value, Throttled)
            assert refused.value.field == "password"
        result = sign_in_at(world, START + timedelta(seconds=1))
        assert result.actor is None  # type: ignore[attr-defined]
        assert result.retry_after == 9  # type: ignore[attr-defined]

    def test_a_locked_account_cannot_sign_even_with_the_right_password(self, world: World) -> None:
        """While locked: Throttled at the password field, with the wait, and no signature written."""
        patient_id = enrolled(world)
        for _ in range(POLICY.free_attempts):
            with pytest.raises(Refused):
                sign(world, patient_id, WRONG, START)
        with pytest.raises(Throttled) as throttled:
            sign(world, patient_id, PASSWORD, START + timedelta(seconds=4))
        assert (throttled.value.field, throttled.value.retry_after) == ("password", 6)
        assert "too many failed sign-ins" in throttled.value.problem
        assert signatures(world, patient_id) == []

    def test_failed_sign_ins_lock_signing(self, world: World) -> None:
        """The same counter both ways: failed sign-ins refuse the next signature."""
        patient_id = enrolled(world)
        for _ in range(POLICY.free_attempts):
            assert sign_in_at(world, START, password=WRONG).actor is None  # type: ignore[attr-defined]
        with pytest.raises(Throttled):
            sign(world, patient_id, PASSWORD, START + timedelta(seconds=1))

    def test_signing_works_after_the_lockout(self, world: World) -> None:
        """After the lockout window the right password signs, and the account's counter is reset."""
        patient_id = enrolled(world)
        for _ in range(POLICY.free_attempts):
            with pytest.raises(Refused):
                sign(world, patient_id, WRONG, START)
        (signature,) = sign(world, patient_id, PASSWORD, START + timedelta(seconds=POLICY.base_delay_seconds))
        assert signature.valid
        assert throttle_failures(world) == []  # the account's row is gone, as after a sign-in

    def test_a_right_signing_password_resets_the_count(self, world: World) -> None:
        """Two wrong, one right, two wrong: never locked (the right one reset the account's count)."""
        patient_id = enrolled(world)
        other = enrolled(world, "INF-03")
        for _ in range(POLICY.free_attempts - 1):
            with pytest.raises(Refused):
                sign(world, patient_id, WRONG, START)
        sign(world, other, PASSWORD, START)
        for _ in range(POLICY.free_attempts - 1):
            with pytest.raises(Refused) as refused:
                sign(world, patient_id, WRONG, START)
            assert not isinstance(refused.value, Throttled)
        assert len(sign(world, patient_id, PASSWORD, START)) == 1

    def test_the_address_counts_when_given(self, world: World) -> None:
        """Given the client's address, a wrong signing password counts against it too; a right one not."""
        patient_id = enrolled(world)
        with pytest.raises(Refused):
            sign(world, patient_id, WRONG, START, address="10.0.0.7")
        assert throttle_failures(world) == [1, 1]  # account, address
        sign(world, patient_id, PASSWORD, START, address="10.0.0.7")
        assert throttle_failures(world) == [1]  # the right attempt's address count given back; account reset

    def test_a_refusal_for_another_reason_keeps_no_count_and_no_partial_write(self, world: World) -> None:
        """A right password then a refused unit: no signature, no first-signature mark, the count reset."""
        patient_id = enrolled(world)
        actor = world.actor(Role.INVESTIGATOR, "SNU")
        from remission.store import start_session

        session_id = start_session(
            world.store,
            user_id=actor.user_id,
            kind="web",
            idle=timedelta(hours=1),
            lifetime=timedelta(hours=8),
        )
        with pytest.raises(Refused):
            sign(world, patient_id, WRONG, START, signing_session=session_id)
        with world.session(actor) as session, pytest.raises(Refused) as refused:
            sign_units(
                session,
                units=[
                    UnitRef(patient_id, SignedUnit.CASEBOOK),
                    UnitRef(patient_id, SignedUnit.ELIGIBILITY, 10**6),
                ],
                meaning=SignatureMeaning.REVIEW,
                username=actor.username,
                password=PASSWORD,
                signing_session=session_id,
                policy=POLICY,
                now=START,
            )
        assert refused.value.field == "row_id"
        assert signatures(world, patient_id) == []
        assert throttle_failures(world) == []
        with world.store.engine.connect() as connection:
            table = UserSession.__table__
            marks = connection.execute(select(func.count()).where(table.c.first_signature_at.is_not(None)))
            assert marks.scalar_one() == 0

    def test_the_user_name_missing_is_not_a_guess(self, world: World) -> None:
        """The first signature of a session without the user name is refused before any count."""
        patient_id = enrolled(world)
        actor = world.actor(Role.INVESTIGATOR, "SNU")
        from remission.store import start_session

        session_id = start_session(
            world.store,
            user_id=actor.user_id,
            kind="web",
            idle=timedelta(hours=1),
            lifetime=timedelta(hours=8),
        )
        with pytest.raises(Refused) as refused:
            sign(world, patient_id, WRONG, START, signing_session=session_id, username=None)
        assert refused.value.field == "username"
        assert throttle_failures(world) == []

    def test_a_wrong_user_name_counts(self, world: World) -> None:
        """A wrong user name with the right password is a failed attempt on the signer's account."""
        patient_id = enrolled(world)
        for _ in range(POLICY.free_attempts):
            with pytest.raises(Refused):
                sign(world, patient_id, PASSWORD, START, username="someone-else")
        with pytest.raises(Throttled):
            sign(world, patient_id, PASSWORD, START)
