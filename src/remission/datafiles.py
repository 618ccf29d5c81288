"""Reading a data file: YAML 1.2 text, its JSON Schema, its pydantic model, then its cross-checks.

Every data file that remission ships or reads (protocols, the therapy knowledge base, curated
trials, anthracycline conversion factors, the adverse-event term list) goes through this one
pipeline, so each is read the YAML 1.2 way (:mod:`remission.yaml12`) and every problem comes
back as one :class:`~remission.errors.InputError` (of the file kind's own subclass) naming the
file and each field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import jsonschema
from pydantic import BaseModel, ValidationError

from remission.errors import FieldProblem, InputError, problems_from_validation
from remission.untrusted import loads_yaml, read_text

__all__ = ["DataFileKind", "schema_problems"]

M = TypeVar("M", bound=BaseModel)


def _unchanged(field: str, data: Any) -> str:
    return field


def schema_problems(data: Any, schema: Mapping[str, Any], *, whole: str) -> list[FieldProblem]:
    """Every JSON Schema (draft 2020-12) violation of ``data``, by field path (``whole``: the root)."""
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        problems.append(FieldProblem(path.lstrip(".") or whole, error.message))
    return problems


@dataclass(frozen=True, slots=True)
class DataFileKind(Generic[M]):
    """How one kind of data file is read and checked, and the error its problems raise.

    ``schema`` returns the JSON Schema the decoded YAML must satisfy (``None``: the model alone
    checks the shape); ``whole`` names the file itself in a schema problem without a field path;
    ``checks`` returns the problems across fields of a valid model (empty when consistent), each
    named as the kind wants it; ``field_name`` rewrites the field path of a schema or model
    problem for the message, given the decoded YAML (e.g. to name an entry by its id instead of
    its index).
    """

    model: type[M]
    error: type[InputError] = InputError
    schema: Callable[[], Mapping[str, Any]] | None = None
    whole: str = "(file)"
    checks: Callable[[M], Sequence[FieldProblem]] | None = None
    field_name: Callable[[str, Any], str] = _unchanged

    def parse(self, data: Any, *, source: str) -> M:
        """Check decoded YAML against the schema, the model and the cross-checks; return the model.

        Raises ``self.error`` naming ``source`` and each problem. When the model refuses the
        data its problems are reported rather than the schema's: the models word union failures
        more precisely than the schema validator.
        """
        try:
            model = self.model.model_validate(data)
        except ValidationError as error:
            raise self._error(source, problems_from_validation(error), data) from None
        if self.schema is not None:
            problems = schema_problems(data, self.schema(), whole=self.whole)
            if problems:
                raise self._error(source, problems, data)
        if self.checks is not None:
            problems = list(self.checks(model))
            if problems:
                raise self.error(source, problems)
        return model

    def load_text(self, text: str, *, source: str) -> M:
        """Parse YAML 1.2 ``text`` and check it as :meth:`parse` does."""
        return self.parse(loads_yaml(text, source=source, error=self.error), source=source)

    def load_file(self, path: Path) -> M:
        """Read ``path`` (UTF-8, at most ``REMISSION_MAX_INPUT_BYTES``) and check it as
        :meth:`load_text` does; problems name the path."""
        return self.load_text(read_text(path, error=self.error), source=str(path))

    def _error(self, source: str, problems: Sequence[FieldProblem], data: Any) -> InputError:
        named = [FieldProblem(self.field_name(p.field, data), p.problem) for p in problems]
        return self.error(source, named)
