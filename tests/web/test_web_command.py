"""``remission web`` serves the pages and the API; ``--demo`` makes demo logins, in development only."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from remission.cli.web_commands import DEMO_PASSWORD, create_demo_accounts
from remission.store.accounts import add_site, authenticate
from remission.store.actor import Actor
from remission.store.database import Store, make_engine
from remission.store.migrations_api import upgrade
from remission.store.models import User
from remission.store.vocabulary import Role

REMISSION = [sys.executable, "-m", "remission"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestDemoAccounts:
    def _store(self, tmp_path: Path) -> Store:
        store = Store(make_engine(f"sqlite:///{tmp_path / 'study.sqlite'}"))
        upgrade(store.engine)
        with store.session(Actor.for_system("web tests")) as session:
            for code in ("A1", "B2", "C3"):
                add_site(session, code=code, name=f"Site {code}")
        return store

    def test_every_role_and_each_site_gets_an_account(self, tmp_path: Path) -> None:
        """Four study roles plus a coordinator and an investigator per site, each able to sign in."""
        store = self._store(tmp_path)
        accounts = create_demo_accounts(store)
        assert sorted((a.role, a.site) for a in accounts if a.site is None) == sorted(
            (role, None) for role in (Role.ADMIN, Role.DATA_MANAGER, Role.STATISTICIAN, Role.MONITOR)
        )
        for site in ("A1", "B2", "C3"):
            assert {a.role for a in accounts if a.site == site} == {Role.COORDINATOR, Role.INVESTIGATOR}
        with store.session(Actor.for_system("web tests")) as session:
            actor = authenticate(session, username="coordinator-b2", password=DEMO_PASSWORD)
        assert actor is not None
        assert set(actor.site_roles.values()) == {frozenset({Role.COORDINATOR})}
        store.engine.dispose()

    def test_making_them_again_adds_nobody(self, tmp_path: Path) -> None:
        """A second start with --demo keeps the accounts it made the first time."""
        store = self._store(tmp_path)
        create_demo_accounts(store)
        create_demo_accounts(store)
        with store.session(Actor.for_system("web tests")) as session:
            assert len(session.scalars(select(User)).all()) == 10
        store.engine.dispose()


class TestCommand:
    def test_demo_is_refused_outside_development(self, tmp_path: Path) -> None:
        """With REMISSION_ENV=production, --demo exits 2 naming the problem and touches no database."""
        database = tmp_path / "study.sqlite"
        env = os.environ | {"REMISSION_ENV": "production", "REMISSION_SECRET_KEY": secrets.token_urlsafe(48)}
        done = subprocess.run(
            [*REMISSION, "web", "--demo", "--database", f"sqlite:///{database}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert "development only" in done.stderr
        assert not database.exists()

    def test_it_serves_the_pages_and_the_api(self, tmp_path: Path) -> None:
        """The command migrates a new database and answers on the sign-in page and the API's health route."""
        port = _free_port()
        env = os.environ | {"REMISSION_ENV": "development"}
        command = [
            *REMISSION,
            "web",
            "--database",
            f"sqlite:///{tmp_path / 'study.sqlite'}",
            "--port",
            str(port),
        ]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            base, deadline, page = f"http://127.0.0.1:{port}", time.monotonic() + 60, None
            while time.monotonic() < deadline and page is None:
                try:
                    page = httpx.get(f"{base}/sign-in")
                except httpx.TransportError:
                    time.sleep(0.2)
            assert page is not None
            assert page.status_code == 200
            assert "<h1>Sign in</h1>" in page.text
            assert httpx.get(f"{base}/api/v1/health").json()["status"] == "ok"
        finally:
            process.terminate()
            process.wait(timeout=30)
