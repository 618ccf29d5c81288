"""The one way the endpoint dataset leaves the store: role-checked, read in one snapshot, audited.

Exports (``remission export``), the study report (``remission report``) and the web downloads
all read the dataset through :func:`read_endpoint_dataset`. Only statisticians, data managers,
administrators and monitors (and the operator acting through the command line) may read it.
On PostgreSQL every table is read in one ``REPEATABLE READ`` snapshot. The caller's ``deliver``
step (writing a file, building a report) runs before the ``export`` audit entry is written,
so a delivery that fails leaves no entry; one that succeeds always leaves one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa

from remission.store.actor import AccessDenied, Actor
from remission.store.audit import record_event
from remission.store.database import Store
from remission.store.endpoint_columns import Origin
from remission.store.endpoints import derive_endpoints
from remission.store.session import StudySession
from remission.store.vocabulary import AuditAction, Role

#: Roles that may read the (de-identified) endpoint dataset of every site.
EXPORTERS = (Role.STATISTICIAN, Role.DATA_MANAGER, Role.ADMIN, Role.MONITOR)
#: The ``entity`` of the audit entry a read of the dataset writes.
AUDIT_ENTITY = "endpoint_dataset"


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where a read dataset went, for the audit entry: a format and, for a file, its path."""

    format: str
    path: Path | None = None


def may_read_dataset(actor: Actor) -> bool:
    """True when ``actor`` may read the endpoint dataset (what :func:`read_endpoint_dataset` enforces)."""
    return actor.has(*EXPORTERS)


def require_dataset_reader(actor: Actor) -> None:
    """Raise :class:`AccessDenied` unless ``actor`` may read the endpoint dataset."""
    if not may_read_dataset(actor):
        raise AccessDenied(f"{actor.username} may not export the endpoint dataset")


def read_snapshot(store: Store, session: StudySession) -> None:
    """Make ``session`` read one read-only snapshot on PostgreSQL (SQLite admits one writer at a time)."""
    if store.engine.dialect.name == "postgresql":
        # One snapshot for every table read; the audit entry is written in its own transaction.
        session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )


def _note(delivery: Delivery, rows: int, as_of: date | None, purpose: str | None) -> str:
    parts = [f"format={delivery.format}", f"rows={rows}"]
    if delivery.path is not None:
        parts.append(f"path={delivery.path.resolve()}")
    if as_of is not None:
        parts.append(f"as_of={as_of}")
    if purpose:
        parts.append(f"purpose={purpose}")
    return " ".join(parts)


def read_endpoint_dataset(
    store: Store,
    *,
    actor: Actor,
    deliver: Callable[[pa.Table], Delivery],
    purpose: str | None = None,
    origin: Origin = "diagnosis",
    extended: bool = False,
    as_of: date | None = None,
) -> pa.Table:
    """The endpoint dataset ``actor`` may read, handed to ``deliver``, then logged as an export.

    ``origin``, ``extended`` and ``as_of`` are those of
    :func:`remission.store.endpoints.derive_endpoints`. ``deliver`` receives the table and says
    where it went; ``purpose`` (e.g. ``report``) is written to the audit entry. Raises
    :class:`AccessDenied` for roles that may not export; nothing is read for them.
    """
    require_dataset_reader(actor)
    with store.session(actor) as session:
        read_snapshot(store, session)
        table = derive_endpoints(session, origin=origin, extended=extended, as_of=as_of)
    delivery = deliver(table)
    with store.session(actor) as session:
        note = _note(delivery, table.num_rows, as_of, purpose)
        record_event(session, AuditAction.EXPORT, AUDIT_ENTITY, None, None, note=note)
    return table


#: Roles that see the study dashboard: the study-level roles.
DASHBOARD_ROLES = (Role.ADMIN, Role.DATA_MANAGER, Role.STATISTICIAN, Role.MONITOR)


def may_see_dashboard(actor: Actor) -> bool:
    """True when ``actor`` holds a study-level role that sees the dashboard."""
    return actor.system or bool(actor.study_roles & frozenset(DASHBOARD_ROLES))


def read_dashboard_dataset(session: StudySession) -> pa.Table:
    """The endpoint dataset for the on-screen dashboard (aggregated there; nothing leaves the store).

    Site scope applies as in every read; roles without the dashboard get :class:`AccessDenied`.
    """
    if not may_see_dashboard(session.actor):
        raise AccessDenied(f"{session.actor.username} may not see the study dashboard")
    return derive_endpoints(session)
