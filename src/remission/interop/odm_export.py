"""``remission export --format odm``: the whole study as one CDISC ODM 1.3.2 file.

The file (``FileType="Snapshot"``, ``Granularity="All"``) holds the ``Study`` metadata
(:mod:`remission.interop.odm_metadata`), the ``AdminData`` (:mod:`remission.interop.odm_admin`)
and a ``ClinicalData`` element per patient (:mod:`remission.interop.odm_clinical`), in that order
as ODM requires. The clinical data are written first, patient by patient as
:func:`remission.store.read_study_casebooks` streams them, to an unnamed spool file beside the
target; ``AdminData`` — the users and sites they name — is then known, and the file is put
together by copying the spool in blocks. Memory holds one casebook at a time whatever the size of
the study. The file appears whole or not at all (:func:`remission.interop.output.file_output`).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

from remission.interop.odm_admin import write_admin
from remission.interop.odm_clinical import ClinicalWriter
from remission.interop.odm_metadata import study_metadata, write_study
from remission.interop.odm_xml import ODM_NAMESPACE, XmlWriter
from remission.interop.output import ExportSummary, Progress, file_output, no_progress
from remission.store import (
    Actor,
    Delivery,
    NotFound,
    Refused,
    Store,
    StudyCasebooks,
    read_study_casebooks,
    site_by_code,
)

FORMAT = "odm"
STUDY_OID = "ST.remission"
VERSION_OID = "MDV.remission.1"


def _check_site(store: Store, actor: Actor, site_code: str | None) -> None:
    if site_code is None:
        return
    with store.session(actor) as session:
        try:
            site_by_code(session, code=site_code)
        except NotFound:
            raise Refused("site_code", f"there is no site {site_code!r}") from None


def export_odm(
    store: Store,
    *,
    actor: Actor,
    out: Path | str,
    overwrite: bool = False,
    site_code: str | None = None,
    progress: Progress = no_progress,
) -> ExportSummary:
    """Write every patient ``actor`` may read (of ``site_code`` only, if given) to ``out`` as ODM 1.3.2.

    Raises :class:`remission.store.Refused` (field ``path`` or ``site_code``) for a target that
    exists without ``overwrite``, a missing directory or an unknown site; nothing is written then.
    """
    _check_site(store, actor, site_code)
    metadata = study_metadata()
    created = datetime.now(UTC)
    with file_output(out, overwrite=overwrite) as temporary:

        def deliver(casebooks: StudyCasebooks) -> Delivery:
            with tempfile.TemporaryFile(dir=temporary.parent) as spool:
                clinical = ClinicalWriter(
                    XmlWriter(spool), metadata, study_oid=STUDY_OID, version_oid=VERSION_OID
                )
                for done, casebook in enumerate(casebooks, start=1):
                    clinical.write(casebook)
                    progress(done, casebooks.total)
                spool.seek(0)
                with temporary.open("wb") as stream:
                    xml = XmlWriter(stream)
                    xml.declaration()
                    attributes = {
                        "xmlns": ODM_NAMESPACE,
                        "FileOID": f"F.remission.{uuid.uuid4()}",
                        "FileType": "Snapshot",
                        "Granularity": "All",
                        "CreationDateTime": created.isoformat(),
                        "ODMVersion": "1.3.2",
                        "Originator": actor.username,
                        "SourceSystem": "remission",
                    }
                    with xml.element("ODM", attributes):
                        write_study(xml, metadata, study_oid=STUDY_OID, version_oid=VERSION_OID)
                        write_admin(
                            xml,
                            study_oid=STUDY_OID,
                            version_oid=VERSION_OID,
                            users=clinical.users,
                            sites=clinical.sites,
                            effective=created.date(),
                        )
                        shutil.copyfileobj(spool, stream)
            return Delivery(FORMAT, Path(out))

        result = read_study_casebooks(store, actor=actor, deliver=deliver, site_code=site_code)
    return ExportSummary(Path(out), FORMAT, result.patients, 1)
