"""The demo's inboxes: its logins exist before the daily-conduct examples, so their events reach them.

The bulk load (the example patients, the synthetic cohort's years of history) tells nobody; the
conduct examples at the first synthetic site — queries and a serious adverse event — are told
to the site's coordinator and investigator, and the serious adverse event to the data manager
and the monitor, as live entries would be.
"""

from __future__ import annotations

from typing import Any

import pytest

from remission.cli.demo import demo_logins_allowed
from remission.cli.web_commands import load_demo_data
from remission.demo import SYNTHETIC_SITES
from remission.store import (
    Actor,
    Store,
    actor_for_user,
    list_notifications,
    notification_dict,
    user_by_username,
)
from remission.store.database import make_engine

from .support import EXAMPLES, SYNTHETIC_SIZE

SITE = SYNTHETIC_SITES[0].lower()


def inbox(store: Store, username: str) -> list[dict[str, Any]]:
    """The unread lines of ``username``'s inbox, read as that user."""
    with store.session(Actor.for_system("test")) as session:
        actor = actor_for_user(session, user_id=user_by_username(session, username=username).id)
    assert actor is not None
    with store.session(actor) as session:
        return [notification_dict(n) for n in list_notifications(session, unread_only=True)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A store loaded as ``remission web --demo`` loads it, with its summary."""
    path = tmp_path_factory.mktemp("demo-inbox") / "demo.sqlite"
    store = Store(make_engine(f"sqlite:///{path}"))
    summary = load_demo_data(store, EXAMPLES, synthetic_size=SYNTHETIC_SIZE, accounts=True)
    yield store, summary
    store.engine.dispose()


class TestDemoInbox:
    @pytest.mark.parametrize("role", ["coordinator", "investigator"])
    def test_the_site_staff_have_an_unread_query_and_serious_adverse_event(
        self, demo: Any, role: str
    ) -> None:
        """coordinator-syn-a and investigator-syn-a hold unread 'query opened' and 'serious adverse event'."""
        store, _ = demo
        kinds = {line["kind"] for line in inbox(store, f"{role}-{SITE}")}
        assert {"query opened", "serious adverse event"} <= kinds

    def test_the_serious_adverse_event_shows_its_reporting_clock(self, demo: Any) -> None:
        """The data manager is told of the serious adverse event with a deadline still ahead."""
        store, _ = demo
        [serious] = [n for n in inbox(store, "data-manager") if n["kind"] == "serious adverse event"]
        assert serious["deadline_at"] is not None
        assert serious["seconds_left"] > 0
        assert serious["study_id"].startswith("SYN-")

    def test_the_bulk_load_tells_nobody(self, demo: Any) -> None:
        """A site without conduct examples has an empty inbox, though its synthetic children had SAEs."""
        store, _ = demo
        assert inbox(store, f"coordinator-{SYNTHETIC_SITES[1].lower()}") == []
        assert inbox(store, "coordinator-sev") == []

    def test_the_summary_lists_the_logins_and_loading_again_adds_no_notification(self, demo: Any) -> None:
        """The summary names every demo login; a second load (make run's web --demo) tells nobody again."""
        store, summary = demo
        assert {a.username for a in summary["accounts"]} >= {f"coordinator-{SITE}", "data-manager"}
        before = len(inbox(store, f"coordinator-{SITE}"))
        load_demo_data(store, EXAMPLES, synthetic_size=SYNTHETIC_SIZE, accounts=True)
        assert len(inbox(store, f"coordinator-{SITE}")) == before


class TestDemoLogins:
    @pytest.mark.parametrize(
        ("environment", "allowed"), [(None, True), ("development", True), ("production", False)]
    )
    def test_remission_demo_makes_logins_in_development_only(
        self, monkeypatch: pytest.MonkeyPatch, environment: str | None, allowed: bool
    ) -> None:
        """`remission demo` makes the logins (a public password) only when REMISSION_ENV is development."""
        if environment is None:
            monkeypatch.delenv("REMISSION_ENV", raising=False)
        else:
            monkeypatch.setenv("REMISSION_ENV", environment)
        assert demo_logins_allowed() is allowed


class TestDemoSignaturesAndFreeze:
    """The demo shows a signed, an invalidated and unsigned casebooks, and a frozen site."""

    def test_signed_invalidated_and_unsigned_casebooks(self, demo: Any) -> None:
        """At the first synthetic site one casebook is validly signed, one invalidated, the rest unsigned."""
        from remission.store import SignatureState, SignedUnit, list_patients, required_signatures

        store, _ = demo
        with store.session(Actor.for_system("test")) as session:
            states = [
                next(
                    (
                        s.state
                        for s in required_signatures(session, patient=p)
                        if s.unit is SignedUnit.CASEBOOK
                    ),
                    None,
                )
                for p in list_patients(session, site_code=SYNTHETIC_SITES[0], limit=None)
            ]
        casebooks = [state for state in states if state is not None]
        assert casebooks.count(SignatureState.VALID) == 1
        assert casebooks.count(SignatureState.INVALIDATED) == 1
        assert casebooks.count(SignatureState.UNSIGNED) == len(casebooks) - 2

    def test_the_investigator_is_told_of_the_invalidated_signature(self, demo: Any) -> None:
        """investigator-syn-a's inbox holds the 'signature invalidated' notice."""
        store, _ = demo
        assert "signature invalidated" in {line["kind"] for line in inbox(store, f"investigator-{SITE}")}

    def test_the_last_site_is_frozen(self, demo: Any) -> None:
        """The demo freezes the last synthetic site for an interim analysis."""
        from remission.store import LockLevel, LockState, list_locks

        store, _ = demo
        with store.session(Actor.for_system("test")) as session:
            locks = [(lock.level, lock.state, lock.reason) for lock in list_locks(session)]
        assert (LockLevel.SITE, LockState.FROZEN, "interim analysis data cut") in locks
