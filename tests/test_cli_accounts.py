"""``remission user``: list, deactivate, reactivate, roles and password, run in-process through
the entry point on SQLite and PostgreSQL. Every change needs ``--reason``; ``--by`` acts as an
account, and the store refuses a non-administrator as it does on the API and the web."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.support.cli import run_cli

from remission.store import accounts, check_session, start_session
from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.models import AuditEntry
from remission.store.vocabulary import Role

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"
HOUR = timedelta(hours=1)


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=REPO, stdin=stdin)


@pytest.fixture
def study(database_url: str) -> str:
    """A migrated study of each back end with site SEV, an admin ``ada`` and a coordinator ``cole``."""
    store = Store.open(database_url)
    with store.session(Actor.for_system("test")) as session:
        accounts.add_site(session, code="SEV", name="Severance Hospital")
        for username, role, site in (("ada", Role.ADMIN, None), ("cole", Role.COORDINATOR, "SEV")):
            accounts.add_user(
                session,
                username=username,
                full_name=username.title(),
                password=PASSWORD,
                role=role,
                site_code=site,
            )
    store.engine.dispose()
    return database_url


def open_session(url: str, username: str) -> tuple[Store, int, str]:
    store = Store.open(url)
    with store.session(Actor.for_system("test")) as session:
        actor = accounts.authenticate(session, username=username, password=PASSWORD)
    assert actor is not None
    assert actor.user_id is not None
    return (
        store,
        actor.user_id,
        start_session(store, user_id=actor.user_id, kind="web", idle=HOUR, lifetime=HOUR),
    )


class TestUserCommands:
    def test_list_shows_roles_sites_and_state(self, study: str):
        """``user list`` prints every account with its roles at their sites and whether it is active."""
        listing = run("user", "list", "--database", study)
        assert listing.returncode == 0, listing.stderr
        assert "cole" in listing.stdout
        assert "coordinator@SEV" in listing.stdout
        assert "active" in listing.stdout

    def test_deactivate_ends_sessions_and_sign_in_then_reactivate(self, study: str):
        """``user deactivate`` ends the user's sessions and sign-in; ``user reactivate`` restores sign-in."""
        store, user_id, session_id = open_session(study, "cole")
        answer = run("user", "deactivate", "cole", "--reason", "left the study", "--database", study)
        assert answer.returncode == 0, answer.stderr
        assert check_session(store, session_id=session_id, user_id=user_id, kind="web") is None
        with store.session(Actor.for_system("test")) as session:
            assert accounts.authenticate(session, username="cole", password=PASSWORD) is None
        assert "deactivated" in run("user", "list", "--database", study).stdout
        assert run("user", "reactivate", "cole", "--reason", "back", "--database", study).returncode == 0
        with store.session(Actor.for_system("test")) as session:
            assert accounts.authenticate(session, username="cole", password=PASSWORD) is not None
        store.engine.dispose()

    def test_a_reason_is_required(self, study: str):
        """Without ``--reason`` the command exits 2 and nothing changes."""
        answer = run("user", "deactivate", "cole", "--database", study)
        assert answer.returncode == 2
        assert "--reason" in answer.stderr
        assert "deactivated" not in run("user", "list", "--database", study).stdout

    def test_roles_replace_the_users_roles_and_end_sessions(self, study: str):
        """``user roles`` with repeated ``--role ROLE[@SITE]`` replaces the roles; sessions end."""
        store, user_id, session_id = open_session(study, "cole")
        answer = run(
            "user", "roles", "cole", "--role", "investigator@SEV", "--role", "monitor",
            "--reason", "promoted", "--database", study,
        )  # fmt: skip
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout.strip() == "user cole now holds: investigator@SEV, monitor"
        assert check_session(store, session_id=session_id, user_id=user_id, kind="web") is None
        store.engine.dispose()

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("--role", "overlord"), "is not a role"),
            (("--role", "coordinator"), "held at a site"),
            (("--role", "coordinator@XYZ"), "no site"),
        ],
    )
    def test_impossible_roles_exit_2_in_one_line(self, study: str, args: tuple[str, ...], message: str):
        """An unknown role, a site role without a site or an unknown site exits 2 with one line."""
        answer = run("user", "roles", "cole", *args, "--reason", "x", "--database", study)
        assert answer.returncode == 2
        assert message in answer.stderr
        assert "Traceback" not in answer.stderr

    def test_by_a_non_admin_is_refused_and_by_an_admin_is_audited(self, study: str):
        """``--by`` a coordinator is refused (exit 2); ``--by`` an administrator is written to the trail."""
        refused = run("user", "deactivate", "ada", "--reason", "coup", "--by", "cole", "--database", study)
        assert refused.returncode == 2
        assert "may not change sites, users or roles" in refused.stderr
        done = run("user", "deactivate", "cole", "--reason", "left", "--by", "ada", "--database", study)
        assert done.returncode == 0, done.stderr
        store = Store.open(study)
        with store.engine.connect() as connection:
            entry = connection.execute(
                select(AuditEntry.username, AuditEntry.reason).where(
                    AuditEntry.entity == "users", AuditEntry.field == "active", AuditEntry.action == "update"
                )
            ).one()
        store.engine.dispose()
        assert (entry.username, entry.reason) == ("ada", "left")

    def test_unknown_user_exits_2(self, study: str):
        """A username that does not exist exits 2 with one line."""
        answer = run("user", "deactivate", "nobody", "--reason", "x", "--database", study)
        assert answer.returncode == 2
        assert "Traceback" not in answer.stderr

    @pytest.mark.parametrize("password", ["short", "password1234", "qwertyuiop12"])
    def test_weak_passwords_exit_2_without_echo(self, study: str, password: str):
        """``user add`` and ``user password`` refuse a short, common or guessable password: exit 2,
        a message that says why and does not repeat the password."""
        added = run(
            "user", "add", "--username", "newbie", "--role", "monitor", "--database", study, stdin=password
        )
        changed = run("user", "password", "cole", "--reason", "reset", "--database", study, stdin=password)
        for answer in (added, changed):
            assert answer.returncode == 2
            assert "password" in answer.stderr
            assert password not in answer.stderr
        assert "newbie" not in run("user", "list", "--database", study).stdout

    def test_password_sets_a_new_password_and_ends_sessions(self, study: str):
        """``user password`` reads the new password from standard input and ends the user's sessions."""
        store, user_id, session_id = open_session(study, "cole")
        new = "plinth gravel mango sofa"
        answer = run(
            "user", "password", "cole", "--reason", "forgotten", "--database", study, stdin=new + "\n"
        )
        assert answer.returncode == 0, answer.stderr
        assert check_session(store, session_id=session_id, user_id=user_id, kind="web") is None
        with store.session(Actor.for_system("test")) as session:
            assert accounts.authenticate(session, username="cole", password=new) is not None
        store.engine.dispose()
