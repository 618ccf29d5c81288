"""``remission casebook``: writes the PDF (audited), refuses to overwrite without --force, and turns bad
input — an unknown patient, another site's, an unknown account — into one line and exit 2."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.documents.casebook_world import STUDY_ID, build, pdf_text
from tests.store.helpers import World
from tests.support.cli import run_cli

from remission.store import Actor, AuditAction, Store, accounts, make_engine, read_audit, upgrade
from remission.store.vocabulary import Role

REPO = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=REPO)


@pytest.fixture
def study(tmp_path: Path) -> str:
    """A SQLite study with the casebook scenario's INF-02 at SNU, and a SEV coordinator: its URL."""
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    store = Store.open(url)
    with store.session(Actor.for_system("test")) as session:
        sites = {code: accounts.add_site(session, code=code, name=code).id for code in ("SEV", "SNU")}
    world = World(store, sites)
    build(world)
    world.actor(Role.COORDINATOR, "SEV")
    store.engine.dispose()
    return url


def exports(url: str) -> list[dict[str, object]]:
    store = Store.open(url)
    try:
        with store.session(Actor.for_system("test")) as session:
            return read_audit(session, action=AuditAction.EXPORT)
    finally:
        store.engine.dispose()


def test_writes_the_casebook_and_logs_the_export(study: str, tmp_path: Path) -> None:
    """The command writes a PDF of the casebook as the account may read it, and the export is audited."""
    out = tmp_path / "INF-02.pdf"
    done = run("casebook", STUDY_ID, "--out", str(out), "--as-user", "coordinator-snu", "--database", study)
    assert done.returncode == 0, done.stderr
    assert f"wrote the casebook of {STUDY_ID} to {out}" in done.stdout
    text = pdf_text(out.read_bytes())
    assert f"Casebook of {STUDY_ID}" in text
    assert "date_of_birth 2024-11-20" in text
    (entry,) = exports(study)
    assert entry["username"] == "coordinator-snu"
    assert str(out.resolve()) in str(entry["new_value"])


def test_an_existing_file_is_refused_without_force(study: str, tmp_path: Path) -> None:
    """An existing --out is one line and exit 2, untouched and unlogged; --force replaces it."""
    out = tmp_path / "INF-02.pdf"
    out.write_text("keep me")
    refused = run("casebook", STUDY_ID, "--out", str(out), "--database", study)
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0
    assert "exists; give --force to replace it" in refused.stderr
    assert out.read_text() == "keep me"
    assert exports(study) == []
    forced = run("casebook", STUDY_ID, "--out", str(out), "--force", "--database", study)
    assert forced.returncode == 0, forced.stderr
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("NOPE",), "patient NOPE: not found"),
        ((STUDY_ID, "--as-user", "coordinator-sev"), f"patient {STUDY_ID}: not found"),
        ((STUDY_ID, "--as-user", "nobody"), "--as-user nobody: no active account of that name"),
    ],
    ids=["unknown patient", "another site's patient", "unknown account"],
)
def test_bad_input_is_one_line_and_exit_2(
    study: str, tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    """An unknown patient, another site's patient and an unknown account: one line, exit 2, no file."""
    out = tmp_path / "casebook.pdf"
    refused = run("casebook", *args, "--out", str(out), "--database", study)
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0
    assert says in refused.stderr
    assert not out.exists()
    assert list(tmp_path.glob(".casebook.pdf.*")) == []
