"""Optimistic concurrency: every write names the version it read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from remission.store.errors import VersionConflict


def require_version(row: Any, version: int) -> None:
    """Refuse a write made against a version that is no longer the row's."""
    if row.version != version:
        raise VersionConflict(row.__tablename__, row.id, row.version)


def flush_or_conflict(session: Session, row: Any) -> None:
    """Flush; if another transaction committed a newer version meanwhile, report it as a conflict."""
    model, row_id = type(row), row.id
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        current = session.scalar(select(model.version).where(model.id == row_id))
        raise VersionConflict(model.__tablename__, row_id, current if current is not None else 0) from None
