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


#: The deepest nesting of arrays and objects read from a record's JSON. A record nests three
#: levels; far deeper input overflows the decoder's and validator's recursion limits.
MAX_JSON_DEPTH = 32
#: The most digits an integer in a record's JSON may have: every integer a record holds fits
#: in 64 bits (19 digits). A longer one is refused as it is read, before it costs any time.
MAX_INTEGER_DIGITS = 20


class _IntegerTooLong(ValueError):
    def __init__(self, digits: int) -> None:
        self.digits = digits
        super().__init__(f"an integer of {digits} digits")


def _read_integer(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INTEGER_DIGITS:
        raise _IntegerTooLong(digits)
    return int(text)


def json_depth(value: Any) -> int:
    """Levels of arrays and objects in decoded JSON (``{}`` is one, a scalar none)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:  # a stack, not recursion, so that measuring cannot overflow
        item, depth = stack.pop()
        children: Any
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_record_json(text: str, *, today: date, source: str = "record") -> PatientRecord:
    """Decode JSON text and validate it as a record; raise :class:`InputError` if unusable.

    Integers of more than :data:`MAX_INTEGER_DIGITS` digits and nesting deeper than
    :data:`MAX_JSON_DEPTH` levels are refused as problems of the JSON itself.
    """
    too_deep = FieldProblem(
        "(json)", f"nested deeper than the limit of {MAX_JSON_DEPTH} levels of arrays and objects"
    )
    try:
        data = json.loads(text, parse_int=_read_integer)
    except json.JSONDecodeError as error:
        position = f"line {error.lineno} column {error.colno}"
        raise InputError(source, [FieldProblem("(json)", f"{error.msg} at {position}")]) from None
    except _IntegerTooLong as error:
        problem = f"{error}; at most {MAX_INTEGER_DIGITS} digits are read"
        raise InputError(source, [FieldProblem("(json)", problem)]) from None
    except RecursionError:  # nested past the decoder's own limit, so past ours too
        raise InputError(source, [too_deep]) from None
    if json_depth(data) > MAX_JSON_DEPTH:
        raise InputError(source, [too_deep])
    return parse_record(data, today=today, source=source)
