"""``remission signatures`` and ``remission locks``: sign with the password, list with name, time and
meaning, verify the binding; freeze, lock and release; a locked casebook refuses a CLI write in one line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from tests.store.helpers import PASSWORD, World
from tests.store.test_signatures import add_sae, enrolled
from tests.support.cli import run_cli

from remission.store import Actor, Store, accounts, make_engine, upgrade
from remission.store.vocabulary import Role

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=REPO, stdin=stdin)


@pytest.fixture
def study(tmp_path: Path) -> tuple[str, int]:
    """A SQLite study with INF-02 enrolled at SNU and one serious adverse event: (URL, AE row id)."""
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    store = Store.open(url)
    with store.session(Actor.for_system("test")) as session:
        sites = {code: accounts.add_site(session, code=code, name=code).id for code in ("SEV", "SNU")}
    world = World(store, sites)
    patient = enrolled(world)
    sae = add_sae(world, patient)
    world.actor(Role.INVESTIGATOR, "SNU")
    world.actor(Role.DATA_MANAGER)
    world.actor(Role.ADMIN)
    store.engine.dispose()
    return url, sae


def sign(url: str, sae: int, password: str) -> subprocess.CompletedProcess[str]:
    return run(
        "signatures", "sign", "--patient", "INF-02", "--unit", "serious-adverse-event", "--row", str(sae),
        "--meaning", "review", "--as-user", "investigator-snu", "--password-stdin", "--database", url,
        stdin=password + "\n",
    )  # fmt: skip


def test_sign_list_and_verify(study: tuple[str, int]) -> None:
    """A signature made with the password is listed with the signer, UTC time and meaning, and verifies."""
    url, sae = study
    signed = sign(url, sae, PASSWORD)
    assert signed.returncode == 0, signed.stderr
    assert "signed serious-adverse-event" in signed.stdout
    listed = json.loads(run("signatures", "list", "--patient", "INF-02", "--database", url, "--json").stdout)
    assert [(s["signer_username"], s["meaning"], s["valid"]) for s in listed] == [
        ("investigator-snu", "review", True)
    ]
    assert listed[0]["signed_at"].endswith("+00:00")
    verified = run("signatures", "verify", "--database", url, "--as-user", "data_manager-study")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "bound to its record" in verified.stdout


def test_a_wrong_password_is_one_line_and_exit_2(study: tuple[str, int]) -> None:
    """A wrong password exits 2 with one line naming the password; nothing is signed."""
    url, sae = study
    refused = sign(url, sae, "not the password")
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0
    assert "password" in refused.stderr
    assert (
        json.loads(run("signatures", "list", "--patient", "INF-02", "--database", url, "--json").stdout) == []
    )


def test_lock_refuses_a_cli_write_until_an_admin_releases(study: tuple[str, int]) -> None:
    """A locked casebook refuses a missing-data code from the CLI; the admin's release lets it through."""
    url, _ = study
    locked = run(
        "locks", "set", "--level", "casebook", "--lock", "--patient", "INF-02", "--override-reason", "test",
        "--as-user", "data_manager-study", "--database", url, "--json",
    )  # fmt: skip
    assert locked.returncode == 0, locked.stderr
    lock = json.loads(locked.stdout)
    code = ("missing", "set", "INF-02", "--form", "baseline", "--field", "genetics.ph_like_class",
            "--code", "not done", "--database", url)  # fmt: skip
    refused = run(*code)
    assert refused.returncode == 2
    assert "locked" in refused.stderr
    assert refused.stderr.strip().count("\n") == 0
    not_admin = run("locks", "release", str(lock["id"]), "--version", "1", "--reason", "x",
                    "--as-user", "data_manager-study", "--database", url)  # fmt: skip
    assert not_admin.returncode == 2
    released = run("locks", "release", str(lock["id"]), "--version", "1", "--reason", "correction",
                   "--as-user", "admin-study", "--database", url)  # fmt: skip
    assert released.returncode == 0, released.stderr
    assert run(*code).returncode == 0


def test_wrong_passwords_lock_signing_with_one_line_and_exit_2(study: tuple[str, int]) -> None:
    """Wrong signing passwords count against the sign-in throttle: then even the right one exits 2."""
    url, sae = study
    env = {"REMISSION_SIGN_IN_FREE_ATTEMPTS": "2", "REMISSION_SIGN_IN_BASE_DELAY_SECONDS": "600"}
    arguments = (
        "signatures", "sign", "--patient", "INF-02", "--unit", "serious-adverse-event", "--row", str(sae),
        "--meaning", "review", "--as-user", "investigator-snu", "--password-stdin", "--database", url,
    )  # fmt: skip
    for _ in range(2):
        assert run_cli(*arguments, cwd=REPO, stdin="not the password\n", env=env).returncode == 2
    locked = run_cli(*arguments, cwd=REPO, stdin=PASSWORD + "\n", env=env)
    assert locked.returncode == 2
    assert locked.stderr.strip().count("\n") == 0
    assert "too many failed sign-ins" in locked.stderr
    assert (
        json.loads(run("signatures", "list", "--patient", "INF-02", "--database", url, "--json").stdout) == []
    )
