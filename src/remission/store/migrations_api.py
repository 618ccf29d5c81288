"""Creating and migrating the schema with Alembic, from the package's own scripts."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from remission.store.audit_settings import AuditSettings
from remission.store.failures import storage_errors


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("remission.store") / "migrations"))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(engine: Engine, revision: str = "head", *, audit: AuditSettings | None = None) -> None:
    """Create or migrate the schema to ``revision`` in one transaction.

    ``audit`` gives the keys migration 0006 converts an existing audit trail with (by default
    those of the environment). A database that cannot be reached or refuses the migration
    raises :class:`StorageError`; a broken audit trail refused by migration 0006, ``Refused``.
    """
    config = alembic_config(engine)
    config.attributes["audit_settings"] = audit
    with storage_errors(engine), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The schema's revision (``None`` for a database without one); :class:`StorageError` if unreachable."""
    with storage_errors(engine), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
