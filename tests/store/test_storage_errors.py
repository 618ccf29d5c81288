"""Database failures leave the store as StorageError: URL without password, driver's words, fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from remission.store import Actor, StorageError, Store, add_site, current_revision, display_url, upgrade

UNREACHABLE = "postgresql://u:secret@127.0.0.1:1/x"


class TestStorageErrors:
    def test_display_url_hides_the_password(self):
        """The shown URL has the password replaced and the driver name the user did not type left out."""
        assert display_url("postgresql+psycopg://u:secret@db.example:5432/trial") == (
            "postgresql://u:***@db.example:5432/trial"
        )

    @pytest.mark.parametrize("operation", [upgrade, current_revision])
    def test_unreachable_server_outside_a_session(self, operation):
        """Migrating or reading the revision of an unreachable server raises StorageError (connect fix)."""
        store = Store.open(UNREACHABLE)
        with pytest.raises(StorageError) as raised:
            operation(store.engine)
        error = raised.value
        assert isinstance(error.__cause__, OperationalError)
        assert error.url == "postgresql://u:***@127.0.0.1:1/x"
        assert error.fix is not None
        assert "server is running" in error.fix
        assert "secret" not in error.line
        assert "secret" not in str(error)

    def test_unmigrated_database_in_a_session_names_the_upgrade(self, tmp_path: Path):
        """A write to a SQLite file without the schema raises StorageError asking for db upgrade."""
        url = f"sqlite:///{tmp_path / 'bare.sqlite'}"
        store = Store.open(url)
        with pytest.raises(StorageError) as raised, store.session(Actor.for_system("test")) as session:
            add_site(session, code="SEV", name="Severance Hospital")
        assert raised.value.fix == "run remission db upgrade"
        assert "no such table" in raised.value.problem
        store.engine.dispose()

    def test_open_migrated_refuses_an_old_or_empty_schema(self, tmp_path: Path):
        """Store.open(migrated=True) refuses a database without the schema, then accepts it once upgraded."""
        url = f"sqlite:///{tmp_path / 'study.sqlite'}"
        upgrade(Store.open(url).engine, "0001")
        with pytest.raises(StorageError, match="revision 0001") as raised:
            Store.open(url, migrated=True)
        assert raised.value.fix == "run remission db upgrade"
        upgrade(Store.open(url).engine)
        assert Store.open(url, migrated=True).redacted_url == url
