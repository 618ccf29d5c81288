"""A casebook PDF made from the store: read (site-scoped, audited as an export), rendered, delivered.

The command line writes it to a file (:func:`write_casebook_pdf`), the API and the web page send
the bytes (:func:`casebook_pdf_bytes`); both read through :func:`remission.store.read_casebook`, so
the ``export`` audit entry is written once the PDF is made, and a failure leaves no entry.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from remission.documents.casebook_pdf import casebook_pdf
from remission.store import FILE_EXISTS, Actor, Casebook, Delivery, Refused, Store, read_casebook

#: What the audit entry names as the format.
PDF_FORMAT = "pdf"


def casebook_pdf_bytes(
    store: Store, *, actor: Actor, patient_id: int | None = None, study_id: str | None = None
) -> tuple[Casebook, bytes]:
    """The casebook of one patient the actor may read, and its PDF; the export is audited."""
    made: list[bytes] = []

    def deliver(casebook: Casebook) -> Delivery:
        made.append(casebook_pdf(casebook))
        return Delivery(PDF_FORMAT)

    casebook = read_casebook(store, actor=actor, deliver=deliver, patient_id=patient_id, study_id=study_id)
    return casebook, made[0]


def write_casebook_pdf(
    store: Store, *, actor: Actor, study_id: str, path: Path | str, overwrite: bool = False
) -> Casebook:
    """Write the casebook of ``study_id`` to ``path`` as a PDF; the export is audited with the path.

    The PDF is written beside ``path`` and moved into place once the audit entry is written. Raises
    :class:`Refused` on ``path`` for an existing file (without ``overwrite``, detail
    :data:`remission.store.FILE_EXISTS`), a directory or a missing directory, before anything is read.
    """
    target = Path(path)
    if target.is_dir():
        raise Refused("path", f"{target} is a directory")
    if target.exists() and not overwrite:
        raise Refused("path", f"{target} exists; pass overwrite=True to replace it", FILE_EXISTS)
    if not target.parent.is_dir():
        raise Refused("path", f"the directory {target.parent} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    try:

        def deliver(casebook: Casebook) -> Delivery:
            Path(temporary).write_bytes(casebook_pdf(casebook))
            return Delivery(PDF_FORMAT, target)

        casebook = read_casebook(store, actor=actor, deliver=deliver, study_id=study_id)
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return casebook
