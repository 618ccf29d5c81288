"""Writing the endpoint dataset to a CSV or Parquet file, with one ``export`` audit entry.

The dataset is read through :func:`remission.store.dataset.read_endpoint_dataset` (role check,
one snapshot, audit entry), written to a temporary file beside the target, the export is
logged, and only then is the file moved into place: a failed export leaves no file and
no entry. An existing file is refused unless ``overwrite`` is given.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.dataset import Delivery, read_endpoint_dataset, require_dataset_reader
from remission.store.endpoint_columns import Origin
from remission.store.errors import Refused


class ExportFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    format: ExportFormat
    rows: int
    #: The dataset as written, for a caller that goes on to use it (the study report).
    table: pa.Table


def _write(table: pa.Table, path: Path, format: ExportFormat) -> None:
    if format is ExportFormat.CSV:
        pa_csv.write_csv(table, path)
    else:
        pq.write_table(table, path)


#: The ``detail`` of the :class:`Refused` for an existing file (a caller may name its own option).
FILE_EXISTS = "exists"


def _reserve(path: Path) -> None:
    """Create ``path`` empty, refusing one that exists (atomic, so two exports cannot both win)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except FileExistsError:
        raise Refused("path", f"{path} exists; pass overwrite=True to replace it", FILE_EXISTS) from None
    except FileNotFoundError:
        raise Refused("path", f"the directory {path.parent} does not exist") from None


def export_dataset(
    store: Store,
    *,
    actor: Actor,
    path: Path | str,
    format: ExportFormat | str,
    overwrite: bool = False,
    purpose: str | None = None,
    origin: Origin = "diagnosis",
    extended: bool = False,
    as_of: date | None = None,
    accept: Callable[[pa.Table], None] | None = None,
) -> ExportResult:
    """Write the endpoint dataset the actor may read to ``path`` as CSV or Parquet.

    ``purpose``, ``origin``, ``extended`` and ``as_of`` are those of
    :func:`remission.store.dataset.read_endpoint_dataset`. ``accept`` may refuse the table
    (by raising) before anything is written or logged. Raises :class:`AccessDenied` for other
    roles, :class:`Refused` for an existing file (without ``overwrite``), a missing directory or
    an unknown format.
    """
    require_dataset_reader(actor)
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
        written = Path(temporary)

        def deliver(table: pa.Table) -> Delivery:
            if accept is not None:
                accept(table)
            _write(table, written, chosen)
            return Delivery(chosen.value, target)

        table = read_endpoint_dataset(
            store,
            actor=actor,
            deliver=deliver,
            purpose=purpose,
            origin=origin,
            extended=extended,
            as_of=as_of,
        )
        os.replace(temporary, target)
        done = True
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        if reserved and not done:
            target.unlink(missing_ok=True)
    return ExportResult(target, chosen, table.num_rows, table)
