"""Alembic environment for the remission store (run by ``remission db upgrade``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from remission.store.database import make_engine
from remission.store.models import Base

config = context.config
connection = config.attributes.get("connection")


def _run(connection_) -> None:
    context.configure(
        connection=connection_,
        target_metadata=Base.metadata,
        render_as_batch=connection_.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic needs sqlalchemy.url (remission db upgrade sets it)")
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
