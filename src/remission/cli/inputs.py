"""Reading the CLI's inputs: record files, ``--param`` overrides and dates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from remission.errors import FieldProblem, InputError
from remission.protocols import Protocol, load_protocol, load_protocol_file, with_parameters
from remission.record import PatientRecord, parse_record
from remission.untrusted import loads_json, max_input_bytes, read_text
from remission.yaml12 import load_yaml12

if TYPE_CHECKING:
    from remission.interop.fhir_report import MappingReport


def read_records(paths: Iterable[Path], *, today: date) -> list[PatientRecord]:
    """Parse each record file; a directory means every ``*.json`` file in it, sorted.

    Each file may hold at most :func:`max_input_bytes`; its JSON is read as
    :func:`remission.record.parse_record_json` reads it (bounded nesting and integers). A FHIR
    Bundle is imported as :func:`read_inputs` does."""
    return [record for record, _ in read_inputs(paths, today=today)]


def read_inputs(
    paths: Iterable[Path], *, today: date, protocol_id: str | None = None
) -> list[tuple[PatientRecord, MappingReport | None]]:
    """Each file as a record: a record JSON file as is, a FHIR Bundle through the FHIR import.

    A bundle's record comes with its mapping report (``None`` for a record file); ``protocol_id``
    picks the bundle's ResearchSubject whose study entry date is read. Every file is read before
    anything is returned, so one bad file stops the command before it prints."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    if not files:
        raise InputError("RECORD", [FieldProblem("(arguments)", "no record files given")])
    limit = max_input_bytes()
    inputs: list[tuple[PatientRecord, MappingReport | None]] = []
    for file in files:
        data = loads_json(read_text(file, limit=limit), source=str(file))
        if isinstance(data, dict) and data.get("resourceType") == "Bundle":
            # Imported here: the FHIR models take a second to load, and most files are records.
            from remission.interop.fhir_import import import_bundle

            imported = import_bundle(data, today=today, source=str(file), protocol_id=protocol_id)
            inputs.append((imported.record, imported.report))
        else:
            inputs.append((parse_record(data, today=today, source=str(file)), None))
    return inputs


def parse_overrides(pairs: Iterable[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs, each value read as YAML 1.2 (``1e-3``, ``true``, ``[NGS, flow cytometry]``)."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise InputError("--param", [FieldProblem(pair, "expected NAME=VALUE")])
        try:
            overrides[name] = load_yaml12(raw) if raw else raw
        except yaml.YAMLError:
            raise InputError(
                "--param", [FieldProblem(pair, "the value is not a YAML scalar or list")]
            ) from None
    return overrides


def resolve_protocol(protocol_id: str, overrides: dict[str, Any]) -> Protocol:
    """A shipped protocol by id, or a protocol file by path, with parameter overrides."""
    path = Path(protocol_id)
    protocol = load_protocol_file(path) if path.suffix in {".yaml", ".yml"} else load_protocol(protocol_id)
    return with_parameters(protocol, overrides) if overrides else protocol


def parse_date(value: str | None, *, option: str) -> date:
    """An ISO date, or today when ``value`` is ``None``."""
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(option, [FieldProblem(value, "not a date in YYYY-MM-DD form")]) from None
