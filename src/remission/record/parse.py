"""Turning untrusted JSON into a checked :class:`PatientRecord`."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from pydantic import ValidationError

from remission.errors import FieldProblem, InputError, problems_from_validation
from remission.record.consistency import consistency_problems
from remission.record.model import PatientRecord


def parse_record(data: Any, *, today: date, source: str = "record") -> PatientRecord:
    """Validate ``data`` (decoded JSON) as a record; raise :class:`InputError` if unusable.

    ``today`` bounds the dates: nothing recorded may lie in the future.
    """
    try:
        record = PatientRecord.model_validate(data)
    except ValidationError as error:
        raise InputError(source, problems_from_validation(error)) from None
    problems = consistency_problems(record, today=today)
    if problems:
        raise InputError(source, problems)
    return record


def parse_record_json(text: str, *, today: date, source: str = "record") -> PatientRecord:
    """Decode JSON text and validate it as a record; raise :class:`InputError` if unusable."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        position = f"line {error.lineno} column {error.colno}"
        raise InputError(source, [FieldProblem("(json)", f"{error.msg} at {position}")]) from None
    return parse_record(data, today=today, source=source)
