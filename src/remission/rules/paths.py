"""Dotted field paths: reading them from records and checking them against models."""

from __future__ import annotations

import types
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel


class UnknownFieldError(LookupError):
    """A path names a field that the model does not have."""


def read_path(node: object, path: str) -> Any:
    """Return the value at ``path`` (``a.b.c``) in ``node``; ``None`` if any link is unrecorded."""
    value: Any = node
    for part in path.split("."):
        if value is None:
            return None
        value = getattr(value, part)
    return value


def plain(value: Any) -> Any:
    """A JSON-ready form of a record value (enum members become their strings)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _strip(annotation: Any) -> Any:
    """Remove ``Annotated`` and ``Optional`` wrappers."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def list_item_type(annotation: Any) -> Any | None:
    """The item type of a ``list[...]`` annotation (after stripping wrappers), else ``None``."""
    annotation = _strip(annotation)
    if get_origin(annotation) is list:
        return _strip(get_args(annotation)[0])
    return None


def field_type(model: type[BaseModel], path: str) -> Any:
    """The annotation of the field at ``path`` in ``model``, wrappers stripped.

    Raises :class:`UnknownFieldError` naming the first part that does not exist.
    """
    current: Any = model
    walked = []
    for part in path.split("."):
        walked.append(part)
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            raise UnknownFieldError(f"{'.'.join(walked[:-1])} has no fields (reading {path!r})")
        if part not in current.model_fields:
            raise UnknownFieldError(f"the record has no field {'.'.join(walked)!r}")
        current = _strip(current.model_fields[part].annotation)
    return current


def enum_values(annotation: Any) -> set[str] | None:
    """The allowed strings when ``annotation`` is an enum (or a list of one), else ``None``."""
    target = list_item_type(annotation) or _strip(annotation)
    if isinstance(target, type) and issubclass(target, Enum):
        return {member.value for member in target}
    return None
