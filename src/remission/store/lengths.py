"""Text that does not fit its column is refused in the data layer, naming the field.

PostgreSQL rejects a string longer than its ``VARCHAR(n)`` column with an error that would
surface as a crash, and SQLite stores it silently. Checking before every flush gives both
back ends the same answer, a :class:`Refused` naming the field, whichever caller wrote it
(the API's schemas check the same limits earlier, but the CLI, the web forms and scripts
reach the store directly).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, inspect
from sqlalchemy.orm import Session

from remission.store.errors import Refused


def _limits(obj: object) -> list[tuple[str, int]]:
    return [
        (column.key, column.columns[0].type.length)
        for column in inspect(type(obj)).column_attrs
        if isinstance(column.columns[0].type, String) and column.columns[0].type.length
    ]


def check_lengths(session: Session, flush_context: Any, instances: Any) -> None:
    """``before_flush`` hook: refuse a text value longer than its column allows."""
    for obj in [*session.new, *session.dirty]:
        for key, limit in _limits(obj):
            value = getattr(obj, key, None)
            if isinstance(value, str) and len(value) > limit:
                raise Refused(key, f"at most {limit} characters (got {len(value)})")
