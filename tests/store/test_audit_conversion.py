"""Migration 0006 converts an unkeyed audit chain: verified first, re-keyed, the conversion
recorded and checkpointed — on SQLite and on PostgreSQL, from a database at revision 0005."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pytest_postgresql.janitor import DatabaseJanitor

from remission.store.audit_links import GENESIS, entry_hash
from remission.store.audit_settings import development_audit_settings
from remission.store.audit_verification import verify_chain
from remission.store.database import make_engine
from remission.store.errors import Refused
from remission.store.migrations_api import current_revision, head_revision, upgrade

_names = itertools.count()
_old_entries = sa.table(
    "audit_entries",
    *(sa.column(name) for name in ("seq", "prev_hash", "hash", "at", "user_id", "username", "action")),
    *(
        sa.column(name)
        for name in ("entity", "entity_id", "site_id", "field", "old_value", "new_value", "reason")
    ),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_at_0005(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """A new database migrated to revision 0005, the last with an unkeyed chain."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
        upgrade(engine, "0005")
        yield engine
        engine.dispose()
        return
    server = request.getfixturevalue("postgres_server")
    name = f"remission_conversion_{next(_names)}"
    janitor = DatabaseJanitor(user="postgres", host="127.0.0.1", port=server.port, dbname=name)
    janitor.init()
    engine = make_engine(server.url(name))
    try:
        upgrade(engine, "0005")
        yield engine
    finally:
        engine.dispose()
        janitor.drop()


def write_unkeyed_chain(engine: sa.Engine, count: int, *, break_at: int | None = None) -> None:
    """``count`` entries as releases before 0006 wrote them; entry ``break_at`` altered after hashing."""
    prev, entries = GENESIS, []
    for seq in range(1, count + 1):
        content: dict[str, Any] = {
            "at": f"2025-01-01T00:00:{seq:02d}.000000Z",
            "user_id": None,
            "username": "cli",
            "action": "create",
            "entity": "sites",
            "entity_id": seq,
            "site_id": None,
            "field": "code",
            "old_value": None,
            "new_value": f'"S{seq}"',
            "reason": None,
        }
        digest = entry_hash(prev, seq, content)
        if seq == break_at:
            content["new_value"] = '"altered"'
        entries.append({**content, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    with engine.begin() as connection:
        connection.execute(sa.insert(_old_entries), entries)


class TestConversion:
    def test_a_populated_chain_is_rekeyed_recorded_and_checkpointed(self, engine_at_0005: sa.Engine):
        """After 0006 the old entries verify with MACs and seals, plus a re-key entry and a checkpoint."""
        write_unkeyed_chain(engine_at_0005, 25)
        settings = development_audit_settings()
        upgrade(engine_at_0005, audit=settings)
        assert current_revision(engine_at_0005) == head_revision(engine_at_0005)
        with engine_at_0005.connect() as connection:
            report = verify_chain(connection, settings=settings)
            last = connection.execute(
                sa.text("SELECT action, username FROM audit_entries WHERE seq = 26")
            ).one()
        assert report.intact, report.problem
        assert (report.entries, report.unsealed, report.checkpoints, report.last_checkpoint) == (26, 0, 1, 26)
        assert tuple(last) == ("re-key", "migration 0006")

    def test_a_broken_chain_is_refused_and_left_as_it_was(self, engine_at_0005: sa.Engine):
        """A chain whose entry 7 was altered is not keyed: the upgrade is refused and stays at 0005."""
        write_unkeyed_chain(engine_at_0005, 12, break_at=7)
        with pytest.raises(Refused, match="entry 7"):
            upgrade(engine_at_0005, audit=development_audit_settings())
        assert current_revision(engine_at_0005) == "0005"

    def test_an_empty_database_has_nothing_to_convert(self, engine_at_0005: sa.Engine):
        """A new study gets the keyed schema and no entries."""
        upgrade(engine_at_0005, audit=development_audit_settings())
        with engine_at_0005.connect() as connection:
            report = verify_chain(connection, settings=development_audit_settings())
        assert (report.intact, report.entries, report.checkpoints) == (True, 0, 0)
