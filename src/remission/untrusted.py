"""Reading untrusted files and text: bounded size, UTF-8, bounded nesting and integers.

Every file a user hands to remission — a record, a protocol or knowledge file, a registry
download — is read through these functions, so a wrong path (a dump, ``/dev/zero``), a file in
another encoding, JSON or YAML nested deep enough to overflow the parser's recursion, or an
integer of thousands of digits is refused with an :class:`InputError` naming the file and the
limit, never a traceback or an exhausted memory.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from yaml import YAMLError

from remission.errors import FieldProblem, InputError
from remission.yaml12 import load_yaml12

#: The largest file read, unless ``REMISSION_MAX_INPUT_BYTES`` says otherwise. A record is a
#: few kilobytes (the examples are about 2 kB) and a protocol about 30 kB; 4 MiB leaves room
#: for a long course of MRD results and adverse events, while a wrong path is refused after
#: reading that much, instead of filling the memory.
DEFAULT_MAX_INPUT_BYTES = 4 * 1024 * 1024
MAX_INPUT_BYTES_VARIABLE = "REMISSION_MAX_INPUT_BYTES"
#: The deepest nesting of arrays and objects read by default. A record nests three levels, a
#: protocol about ten; far deeper input overflows the decoder's and validator's recursion.
MAX_DEPTH = 32
#: The most digits an integer in JSON may have: every integer remission stores fits in 64 bits
#: (19 digits). A longer one is refused as it is read, before it costs any time.
MAX_INTEGER_DIGITS = 20


def max_input_bytes() -> int:
    """The size limit of a file: ``REMISSION_MAX_INPUT_BYTES``, else 4 MiB."""
    value = os.environ.get(MAX_INPUT_BYTES_VARIABLE, str(DEFAULT_MAX_INPUT_BYTES))
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        problem = FieldProblem(MAX_INPUT_BYTES_VARIABLE, "a whole number of bytes, 1 or more")
        raise InputError(MAX_INPUT_BYTES_VARIABLE, [problem])
    return int(value)


def read_text(path: Path, *, limit: int | None = None, error: type[InputError] = InputError) -> str:
    """The UTF-8 text of ``path``, reading at most ``limit`` (default :func:`max_input_bytes`)
    + 1 bytes; ``error`` naming the file when it cannot be read, is larger or is not UTF-8."""
    limit = max_input_bytes() if limit is None else limit

    def refuse(problem: str) -> InputError:
        return error(str(path), [FieldProblem("(file)", problem)])

    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except OSError as failure:
        raise refuse(failure.strerror or str(failure)) from None
    if len(data) > limit:
        raise refuse(f"larger than the limit of {limit} bytes ({MAX_INPUT_BYTES_VARIABLE})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as failure:
        line = data.count(b"\n", 0, failure.start) + 1
        raise refuse(
            f"not UTF-8 text (byte 0x{data[failure.start]:02x} on line {line}); save it as UTF-8"
        ) from None


def depth(value: Any) -> int:
    """Levels of arrays and objects in decoded JSON or YAML (``{}`` is one, a scalar none)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:  # a stack, not recursion, so that measuring cannot overflow
        item, level = stack.pop()
        children: Any
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in children)
    return deepest


class _IntegerTooLong(ValueError):
    def __init__(self, digits: int) -> None:
        self.digits = digits
        super().__init__(f"an integer of {digits} digits")


def _read_integer(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INTEGER_DIGITS:
        raise _IntegerTooLong(digits)
    return int(text)


def _too_deep(max_depth: int, field: str = "(json)") -> FieldProblem:
    return FieldProblem(field, f"nested deeper than the limit of {max_depth} levels of arrays and objects")


def loads_json(
    text: str, *, source: str, max_depth: int = MAX_DEPTH, error: type[InputError] = InputError
) -> Any:
    """Decoded JSON ``text``; ``error`` naming ``source`` for bad syntax, an integer of more than
    :data:`MAX_INTEGER_DIGITS` digits, or nesting deeper than ``max_depth``."""
    try:
        data = json.loads(text, parse_int=_read_integer)
    except json.JSONDecodeError as failure:
        position = f"line {failure.lineno} column {failure.colno}"
        raise error(source, [FieldProblem("(json)", f"not JSON: {failure.msg} at {position}")]) from None
    except _IntegerTooLong as failure:
        problem = f"{failure}; at most {MAX_INTEGER_DIGITS} digits are read"
        raise error(source, [FieldProblem("(json)", problem)]) from None
    except RecursionError:  # nested past the decoder's own limit, so past ours too
        raise error(source, [_too_deep(max_depth)]) from None
    if depth(data) > max_depth:
        raise error(source, [_too_deep(max_depth)])
    return data


def loads_yaml(
    text: str, *, source: str, max_depth: int = MAX_DEPTH, error: type[InputError] = InputError
) -> Any:
    """Decoded YAML 1.2 ``text``; ``error`` naming ``source`` for bad syntax or nesting deeper
    than ``max_depth``."""
    try:
        data = load_yaml12(text)
    except YAMLError as failure:
        raise error(source, [FieldProblem("(yaml)", str(failure).replace("\n", " "))]) from None
    except RecursionError:
        raise error(
            source, [FieldProblem("(yaml)", f"nested deeper than the limit of {max_depth} levels")]
        ) from None
    if depth(data) > max_depth:
        raise error(source, [FieldProblem("(yaml)", f"nested deeper than the limit of {max_depth} levels")])
    return data
