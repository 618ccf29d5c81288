"""Turning untrusted JSON into a checked :class:`PatientRecord`."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError

from remission.errors import InputError, problems_from_validation
from remission.record.consistency import consistency_problems
from remission.record.model import PatientRecord
from remission.untrusted import loads_json


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
    """Decode JSON text and validate it as a record; raise :class:`InputError` if unusable.

    Integers of more than :data:`~remission.untrusted.MAX_INTEGER_DIGITS` digits and nesting
    deeper than :data:`~remission.untrusted.MAX_DEPTH` levels are refused as problems of the
    JSON itself (:func:`remission.untrusted.loads_json`).
    """
    return parse_record(loads_json(text, source=source), today=today, source=source)
