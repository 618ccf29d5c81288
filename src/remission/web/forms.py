"""Reading a submitted course form: text to typed values, then the API's schema, with one message per field.

Each problem is reported next to its field. Values are converted by the field's kind (a date
must be ``YYYY-MM-DD``, a number a decimal), then the row is validated with the API's create
schema, so a row the web accepts is a row the API accepts. The adverse-event form also refuses
a grade that the chosen CTCAE term does not have (:mod:`remission.web.ctcae`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError

from remission.store import MAX_ID
from remission.web.ctcae import grade_problem
from remission.web.fields import CROSS_FIELD, FormField

#: The longest reason for a change or a deletion.
MAX_REASON = 2000


@dataclass
class Submission:
    """What was typed (``raw``, shown again), the typed ``values`` and the ``errors`` by field name."""

    raw: dict[str, str]
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _convert(spec: FormField, text: str) -> tuple[Any, str | None]:
    if spec.kind == "checkbox":
        return bool(text), None
    text = text.strip()
    if not text:
        return None, ("Required." if spec.required else None)
    if spec.kind == "date":
        try:
            return date.fromisoformat(text), None
        except ValueError:
            return None, "Enter a date as YYYY-MM-DD, e.g. 2025-03-14."
    if spec.kind == "number":
        try:
            number = float(text)
        except ValueError:
            return None, "Enter a number, e.g. 0.0001 or 1e-4."
        return (number, None) if math.isfinite(number) else (None, "Enter a finite number.")
    if spec.kind == "integer":
        return (int(text), None) if text.isdigit() else (None, "Choose one of the listed values.")
    if spec.kind == "yesno":
        return {"yes": True, "no": False}.get(text), None
    if spec.kind == "select" and spec.choices and text not in {value for value, _ in spec.choices}:
        return None, "Choose one of the listed options."
    return text, None


def read_form(fields: tuple[FormField, ...], form: Mapping[str, Any]) -> Submission:
    """Typed values of ``fields`` from ``form``, with a message for each field that cannot be read."""
    raw = {spec.name: str(form.get(spec.name, "") or "") for spec in fields}
    submission = Submission(raw=raw, values={})
    for spec in fields:
        value, problem = _convert(spec, raw[spec.name])
        submission.values[spec.name] = value
        if problem:
            submission.errors[spec.name] = problem
    return submission


def _friendly(item: Mapping[str, Any]) -> str:
    kind = item["type"]
    ctx = {
        key: f"{value:g}" if isinstance(value, float) else value
        for key, value in (item.get("ctx") or {}).items()
    }
    messages = {
        "missing": "Required.",
        "less_than_equal": f"Must be at most {ctx.get('le')}.",
        "greater_than_equal": f"Must be at least {ctx.get('ge')}.",
        "greater_than": f"Must be more than {ctx.get('gt')}.",
        "less_than": f"Must be less than {ctx.get('lt')}.",
        "enum": "Choose one of the listed options.",
        "string_too_short": "Required.",
        "string_too_long": f"At most {ctx.get('max_length')} characters.",
        "string_pattern_mismatch": "Use letters, digits, dot, dash or underscore, without spaces.",
    }
    if kind in messages:
        return messages[kind]
    return str(item["msg"]).removeprefix("Value error, ")


def validate(segment: str, schema: type[BaseModel], submission: Submission) -> None:
    """Check the row with the API's create ``schema``; problems go into ``submission.errors``.

    Every field of the schema is on the form, so the submitted values are the whole row. A field
    that could not be read keeps its own message.
    """
    values = {name: value for name, value in submission.values.items() if name in schema.model_fields}
    try:
        schema.model_validate(values)
    except ValidationError as error:
        for item in error.errors(include_url=False):
            name = (
                str(item["loc"][0]) if item["loc"] else CROSS_FIELD.get(segment, next(iter(submission.raw)))
            )
            if segment == "mrd" and not item["loc"]:
                message = "Give the MRD value or tick “positive, not quantifiable”, one of the two."
            else:
                message = _friendly(item)
            submission.errors.setdefault(name, message)
    if segment == "adverse-events" and "grade" not in submission.errors and "term" not in submission.errors:
        grade, term = submission.values.get("grade"), submission.values.get("term")
        terminology = submission.values.get("terminology") or ""
        if isinstance(grade, int) and isinstance(term, str):
            problem = grade_problem(term, grade, terminology)
            if problem:
                submission.errors["grade"] = problem + "."


def form_text(value: Any) -> str:
    """A stored value as the text its input shows."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def stored_text(fields: tuple[FormField, ...], row: Any) -> dict[str, str]:
    """The inputs' texts for a stored row (yes/no fields as ``yes``/``no``)."""
    texts = {}
    for spec in fields:
        value = getattr(row, spec.name)
        if spec.kind == "yesno":
            texts[spec.name] = "" if value is None else ("yes" if value else "no")
        else:
            texts[spec.name] = form_text(value)
    return texts


def reason_of(form: Mapping[str, Any], submission: Submission) -> str:
    """The reason for a change on ``form``; a missing or too long one goes into ``submission.errors``."""
    reason = str(form.get("reason", "")).strip()
    if not reason:
        submission.errors["reason"] = (
            "Say why the saved record is changed; the reason goes into the audit trail."
        )
    elif len(reason) > MAX_REASON:
        submission.errors["reason"] = f"At most {MAX_REASON} characters."
    return reason


def version_of(form: Mapping[str, Any]) -> int:
    """The version the form was read at (0, never a stored version, when missing or unreadable)."""
    text = str(form.get("version", ""))
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_ID else 0
