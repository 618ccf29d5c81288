"""Turning untrusted JSON into a checked :class:`PatientRecord`."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from pydantic import ValidationError

from remission.record.consistency import FieldProblem, consistency_problems
from remission.record.errors import InputError
from remission.record.model import PatientRecord


def dotted_path(location: tuple[int | str, ...]) -> str:
    """Render a pydantic error location as ``a.b[0].c``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(record)"


def problems_from_validation(error: ValidationError) -> list[FieldProblem]:
    """One :class:`FieldProblem` per pydantic error, with readable wording."""
    problems = []
    for item in error.errors(include_url=False):
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown field (not in the schema)"
        elif item["type"] == "missing":
            message = "required field is missing"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        problems.append(FieldProblem(dotted_path(tuple(item["loc"])), message))
    return problems


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
