"""Reading a child's record for trial matching, with clear messages for gene notation."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from remission.errors import InputError
from remission.record.model import PatientRecord
from remission.record.parse import parse_record
from remission.trials.genes import record_notation_problems
from remission.untrusted import loads_json, read_text


def record_from_data(data: Any, *, today: date, source: str) -> PatientRecord:
    """Check gene notation, then validate ``data`` (decoded JSON) as a record.

    Raises :class:`InputError`: a fusion not written ``GENE1::GENE2`` or a malformed gene symbol
    is named with the expected notation, before the record model's own checks.
    """
    problems = record_notation_problems(data)
    if problems:
        raise InputError(source, problems)
    return parse_record(data, today=today, source=source)


def read_record_file(path: Path, *, today: date) -> tuple[PatientRecord, dict[str, Any]]:
    """The record in ``path`` and its decoded JSON; raise :class:`InputError` naming each problem."""
    source = str(path)
    data = loads_json(read_text(path), source=source)
    return record_from_data(data, today=today, source=source), data
