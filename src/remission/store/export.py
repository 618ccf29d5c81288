"""Writing the endpoint dataset to a CSV or Parquet file, with one ``export`` audit entry.

Only statisticians, data managers, administrators and monitors (and the operator acting
through the command line) may export. The dataset is read in one snapshot on PostgreSQL
(``REPEATABLE READ``), written to a temporary file beside the target, the export is
logged, and only then is the file moved into place: a failed export leaves no file and
no entry. An existing file is refused unless ``overwrite`` is given.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from remission.store.actor import AccessDenied, Actor
from remission.store.audit import record_event
from remission.store.database import Store
from remission.store.endpoints import derive_endpoints
from remission.store.errors import Refused
from remission.store.vocabulary import AuditAction, Role

#: Roles that may export the (de-identified) endpoint dataset of every site.
EXPORTERS = (Role.STATISTICIAN, Role.DATA_MANAGER, Role.ADMIN, Role.MONITOR)
#: The ``entity`` of the audit entry an export writes.
AUDIT_ENTITY = "endpoint_dataset"


class ExportFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    format: ExportFormat
    rows: int


def _read(store: Store, actor: Actor) -> pa.Table:
    with store.session(actor) as session:
        if store.engine.dialect.name == "postgresql":
            # One snapshot for every table read; the audit entry is written in its own transaction.
            session.connection(
                execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
            )
        return derive_endpoints(session)


def _write(table: pa.Table, path: Path, format: ExportFormat) -> None:
    if format is ExportFormat.CSV:
        pa_csv.write_csv(table, path)
    else:
        pq.write_table(table, path)


def _reserve(path: Path) -> None:
    """Create ``path`` empty, refusing one that exists (atomic, so two exports cannot both win)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except FileExistsError:
        raise Refused("path", f"{path} exists; give overwrite to replace it") from None
    except FileNotFoundError:
        raise Refused("path", f"the directory {path.parent} does not exist") from None


def export_dataset(
    store: Store,
    actor: Actor,
    path: Path | str,
    format: ExportFormat | str,
    *,
    overwrite: bool = False,
) -> ExportResult:
    """Write the endpoint dataset the actor may read to ``path`` as CSV or Parquet.

    Raises :class:`AccessDenied` for other roles, :class:`Refused` for an existing file
    (without ``overwrite``), a missing directory or an unknown format.
    """
    if not actor.has(*EXPORTERS):
        raise AccessDenied(f"{actor.username} may not export the endpoint dataset")
    try:
        chosen = ExportFormat(format)
    except ValueError:
        raise Refused("format", f"{format!r} is not one of csv, parquet") from None
    target = Path(path)
    if target.is_dir():
        raise Refused("path", f"{target} is a directory")
    reserved = False
    if not overwrite:
        _reserve(target)
        reserved = True
    elif not target.parent.is_dir():
        raise Refused("path", f"the directory {target.parent} does not exist")
    done, temporary = False, None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(handle)
        table = _read(store, actor)
        _write(table, Path(temporary), chosen)
        with store.session(actor) as session:
            record_event(
                session,
                AuditAction.EXPORT,
                AUDIT_ENTITY,
                None,
                None,
                note=f"format={chosen.value} rows={table.num_rows} path={target.resolve()}",
            )
        os.replace(temporary, target)
        done = True
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        if reserved and not done:
            target.unlink(missing_ok=True)
    return ExportResult(target, chosen, table.num_rows)
