"""Errors for input that cannot be used, shared by every layer (the kernel).

An :class:`InputError` names its source and lists one :class:`FieldProblem` per field, so a
user can find and fix each one; :func:`problems_from_validation` words pydantic's errors so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

__all__ = ["FieldProblem", "InputError", "dotted_path", "problems_from_validation"]


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing wrong with one field of an input."""

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


class InputError(ValueError):
    """Input that cannot be used; ``problems`` names each field and what is wrong."""

    def __init__(self, source: str, problems: Sequence[FieldProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        listed = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{source}:\n{listed}")


def dotted_path(location: tuple[int | str, ...]) -> str:
    """Render a pydantic error location as ``a.b[0].c``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(record)"


#: What a string pattern asks for, in words, so a mismatch never shows the regular expression.
PATTERN_WORDS: dict[str, str] = {}


def describe_pattern(pattern: str, words: str) -> str:
    """Register the words for ``pattern`` (e.g. "a gene fusion such as KMT2A::AFF1"); returns it."""
    PATTERN_WORDS[pattern] = words
    return pattern


def problems_from_validation(error: ValidationError) -> list[FieldProblem]:
    """One :class:`FieldProblem` per pydantic error, with readable wording."""
    problems = []
    for item in error.errors(include_url=False):
        message = item["msg"]
        pattern = (item.get("ctx") or {}).get("pattern")
        if item["type"] == "string_pattern_mismatch" and pattern in PATTERN_WORDS:
            message = f"{item['input']!r} is not {PATTERN_WORDS[pattern]}"
        elif item["type"] == "extra_forbidden":
            message = "unknown field (not in the schema)"
        elif item["type"] == "missing":
            message = "required field is missing"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        problems.append(FieldProblem(dotted_path(tuple(item["loc"])), message))
    return problems
