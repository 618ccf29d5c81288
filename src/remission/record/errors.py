"""Errors raised for input that cannot be used, with one problem per field."""

from __future__ import annotations

from collections.abc import Sequence

from remission.record.consistency import FieldProblem


class InputError(ValueError):
    """Input that cannot be used; ``problems`` names each field and what is wrong."""

    def __init__(self, source: str, problems: Sequence[FieldProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        listed = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{source}:\n{listed}")
