"""Account changes in the store: only administrators, always with a reason, and every change that
matters to access ends the user's sessions in the same transaction (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from tests.store.helpers import PASSWORD, World

from remission.store import (
    AccessDenied,
    ReasonRequired,
    Refused,
    RoleGrant,
    actor_for_user,
    authenticate,
    change_own_password,
    check_session,
    end_session,
    extend_session,
    list_accounts,
    set_active,
    set_password,
    set_roles,
    start_session,
)
from remission.store.actor import Actor
from remission.store.models import AuditEntry, User
from remission.store.vocabulary import Role

HOUR = timedelta(hours=1)
NEW_PASSWORD = "plinth gravel mango sofa"


def open_session(world: World, actor: Actor) -> str:
    assert actor.user_id is not None
    return start_session(world.store, user_id=actor.user_id, kind="api", idle=HOUR, lifetime=HOUR)


def live(world: World, actor: Actor, session_id: str) -> bool:
    assert actor.user_id is not None
    return check_session(world.store, session_id=session_id, user_id=actor.user_id, kind="api") is not None


def audit_reasons(world: World, entity: str, field: str) -> list[str | None]:
    with world.store.engine.connect() as connection:
        rows = connection.execute(
            select(AuditEntry.reason).where(
                AuditEntry.entity == entity, AuditEntry.field == field, AuditEntry.action != "create"
            )
        )
        return [row.reason for row in rows]


class TestWhoMayChangeAccounts:
    @pytest.mark.parametrize("role", [Role.DATA_MANAGER, Role.MONITOR, Role.STATISTICIAN])
    def test_study_roles_other_than_admin_are_refused(self, world: World, role: Role):
        """Listing, deactivating and changing roles are refused to every role but the administrator."""
        target = world.actor(Role.COORDINATOR, "SEV").user_id
        assert target is not None
        with world.session(world.actor(role), reason="trying") as session:
            with pytest.raises(AccessDenied):
                list_accounts(session)
            with pytest.raises(AccessDenied):
                set_active(session, user_id=target, active=False)
            with pytest.raises(AccessDenied):
                set_roles(session, user_id=target, grants=[RoleGrant(Role.MONITOR)])

    def test_a_site_role_may_not_write_another_users_password(self, world: World):
        """A coordinator changing another user's password hash is refused by the session's write check."""
        other = world.actor(Role.INVESTIGATOR, "SEV").user_id

        def tamper() -> None:
            with world.session(world.actor(Role.COORDINATOR, "SEV"), reason="x") as session:
                user = session.get(User, other)
                assert user is not None
                user.password_hash = "tampered"

        with pytest.raises(AccessDenied):
            tamper()

    def test_a_reason_is_required(self, world: World):
        """An account change without a reason is refused before anything changes."""
        target = world.actor(Role.COORDINATOR, "SEV").user_id
        assert target is not None
        with pytest.raises(ReasonRequired), world.session(world.actor(Role.ADMIN), reason="  ") as session:
            set_active(session, user_id=target, active=False)

    def test_an_admin_may_not_lock_themselves_out(self, world: World):
        """An administrator may neither deactivate their own account nor drop their own admin role."""
        admin = world.actor(Role.ADMIN)
        assert admin.user_id is not None
        with world.session(admin, reason="oops") as session:
            with pytest.raises(Refused):
                set_active(session, user_id=admin.user_id, active=False)
            with pytest.raises(Refused):
                set_roles(session, user_id=admin.user_id, grants=[RoleGrant(Role.MONITOR)])


class TestDeactivation:
    def test_deactivation_ends_sessions_and_sign_in_and_is_audited(self, world: World):
        """A deactivated user's sessions end at once, their password no longer signs in, and the
        change is audited with its reason; reactivating lets them sign in again."""
        user = world.actor(Role.COORDINATOR, "SEV")
        assert user.user_id is not None
        session_id = open_session(world, user)
        with world.session(world.actor(Role.ADMIN), reason="left the study") as session:
            set_active(session, user_id=user.user_id, active=False)
        assert not live(world, user, session_id)
        with world.session(world.system) as session:
            assert authenticate(session, username=user.username, password=PASSWORD) is None
        assert audit_reasons(world, "users", "active") == ["left the study"]
        with world.session(world.actor(Role.ADMIN), reason="back from leave") as session:
            set_active(session, user_id=user.user_id, active=True)
        with world.session(world.system) as session:
            assert authenticate(session, username=user.username, password=PASSWORD) is not None

    def test_a_rolled_back_change_revokes_nothing(self, world: World):
        """When the transaction that deactivates a user fails, their sessions stay."""
        user = world.actor(Role.COORDINATOR, "SEV")
        assert user.user_id is not None
        session_id = open_session(world, user)

        def fail_after_the_change() -> None:
            with world.session(world.actor(Role.ADMIN), reason="x") as session:
                set_active(session, user_id=user.user_id, active=False)
                raise RuntimeError("the request failed later")

        with pytest.raises(RuntimeError):
            fail_after_the_change()
        assert live(world, user, session_id)


class TestRoles:
    def test_a_role_change_ends_sessions_and_takes_effect(self, world: World):
        """New roles replace the old ones, the user's sessions end, and the next actor has the new roles."""
        user = world.actor(Role.COORDINATOR, "SEV")
        assert user.user_id is not None
        session_id = open_session(world, user)
        grants = [RoleGrant(Role.INVESTIGATOR, "SNU"), RoleGrant(Role.COORDINATOR, "SNU")]
        with world.session(world.actor(Role.ADMIN), reason="moved to SNU") as session:
            set_roles(session, user_id=user.user_id, grants=grants)
        assert not live(world, user, session_id)
        with world.session(world.system) as session:
            actor = actor_for_user(session, user_id=user.user_id)
        assert actor is not None
        assert actor.site_roles == {world.snu: frozenset({Role.INVESTIGATOR, Role.COORDINATOR})}
        assert set(audit_reasons(world, "role_assignments", "role")) == {"moved to SNU"}

    def test_the_same_roles_keep_sessions(self, world: World):
        """Saving the roles a user already holds changes nothing and ends no session."""
        user = world.actor(Role.COORDINATOR, "SEV")
        assert user.user_id is not None
        session_id = open_session(world, user)
        with world.session(world.actor(Role.ADMIN), reason="review") as session:
            set_roles(session, user_id=user.user_id, grants=[RoleGrant(Role.COORDINATOR, "SEV")])
        assert live(world, user, session_id)

    @pytest.mark.parametrize(
        ("grants", "problem"),
        [
            ([], "at least one role"),
            ([RoleGrant(Role.COORDINATOR)], "held at a site"),
            ([RoleGrant(Role.MONITOR, "SEV")], "study-wide"),
            ([RoleGrant(Role.COORDINATOR, "NOPE")], "no site"),
        ],
    )
    def test_impossible_roles_are_refused(self, world: World, grants: list[RoleGrant], problem: str):
        """No roles, a site role without a site, a study role at a site and an unknown site are refused."""
        target = world.actor(Role.COORDINATOR, "SEV").user_id
        assert target is not None
        with (
            pytest.raises(Refused, match=problem),
            world.session(world.actor(Role.ADMIN), reason="x") as session,
        ):
            set_roles(session, user_id=target, grants=grants)

    def test_role_grants_parse_from_text(self):
        """``ROLE@SITE`` and ``ROLE`` parse; an unknown role is refused without a traceback."""
        assert RoleGrant.parse("coordinator@SEV") == RoleGrant(Role.COORDINATOR, "SEV")
        assert RoleGrant.parse(" monitor ").text == "monitor"
        with pytest.raises(Refused):
            RoleGrant.parse("overlord@SEV")


class TestPasswords:
    def test_own_password_change_needs_the_old_one_and_ends_every_session(self, world: World):
        """Anyone may change their own password given the old one; all their sessions end."""
        user = world.actor(Role.COORDINATOR, "SEV")
        sessions = [open_session(world, user), open_session(world, user)]
        with pytest.raises(Refused) as wrong, world.session(user) as session:
            change_own_password(session, old_password="not-the-password", new_password=NEW_PASSWORD)
        assert wrong.value.field == "old_password"
        assert all(live(world, user, session_id) for session_id in sessions)
        with world.session(user) as session:
            change_own_password(session, old_password=PASSWORD, new_password=NEW_PASSWORD)
        assert not any(live(world, user, session_id) for session_id in sessions)
        with world.session(world.system) as session:
            assert authenticate(session, username=user.username, password=NEW_PASSWORD) is not None
        assert audit_reasons(world, "users", "password_hash") == ["password changed by the user"]

    def test_a_weak_new_password_is_refused(self, world: World):
        """The new password must meet the policy, whoever sets it."""
        user = world.actor(Role.COORDINATOR, "SEV")
        assert user.user_id is not None
        with pytest.raises(Refused), world.session(user) as session:
            change_own_password(session, old_password=PASSWORD, new_password="password1234")
        with pytest.raises(Refused), world.session(world.actor(Role.ADMIN), reason="reset") as session:
            set_password(session, user_id=user.user_id, password="qwertyuiop12")


class TestSessionTimes:
    def test_idle_and_latest_end(self, world: World):
        """A session ends after its idle time unless extended, and at its latest end regardless."""
        user = world.actor(Role.COORDINATOR, "SEV")
        assert user.user_id is not None
        start = datetime.now(UTC)
        session_id = start_session(
            world.store,
            user_id=user.user_id,
            kind="web",
            idle=timedelta(minutes=30),
            lifetime=timedelta(hours=12),
            now=lambda: start,
        )

        def alive(at: datetime) -> bool:
            found = check_session(
                world.store, session_id=session_id, user_id=user.user_id, kind="web", now=lambda: at
            )
            return found is not None

        assert alive(start + timedelta(minutes=29))
        assert not alive(start + timedelta(minutes=31))
        assert not check_session(world.store, session_id=session_id, user_id=user.user_id, kind="api")
        for minutes in range(20, 12 * 60, 20):
            extend_session(
                world.store,
                session_id=session_id,
                idle=timedelta(minutes=30),
                now=lambda minutes=minutes: start + timedelta(minutes=minutes),
            )
        assert alive(start + timedelta(hours=11, minutes=59))
        assert not alive(start + timedelta(hours=12))

    def test_sign_out_ends_only_that_session(self, world: World):
        """Ending one session leaves the user's others live."""
        user = world.actor(Role.COORDINATOR, "SEV")
        first, second = open_session(world, user), open_session(world, user)
        end_session(world.store, session_id=first)
        assert not live(world, user, first)
        assert live(world, user, second)

    def test_only_a_hash_of_the_session_id_is_stored(self, world: World):
        """The table holds the SHA-256 of the session id, never the id itself."""
        user = world.actor(Role.COORDINATOR, "SEV")
        session_id = open_session(world, user)
        with world.store.engine.connect() as connection:
            stored = [row[0] for row in connection.exec_driver_sql("SELECT key_hash FROM user_sessions")]
        assert session_id not in stored
        assert len(stored) == 1
        assert len(stored[0]) == 64
