"""Deriving an entity's Update and Public schemas from its Create schema."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, get_args

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.fields import FieldInfo

from remission.store import MAX_ID, Strict


class ChangeMeta(Strict):
    version: int = Field(
        ge=1, le=MAX_ID, strict=True, description="The version you read; a stale version gets 409."
    )
    reason: str = Field(min_length=1, description="Why the saved record is changed (audit trail).")


def _constrained(info: FieldInfo) -> Any:
    """The field's type with its constraints."""
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[annotation, *info.metadata]
    return annotation


def _omit_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _accepts_null(info: FieldInfo) -> bool:
    return type(None) in get_args(info.annotation)


def _update_field(info: FieldInfo) -> tuple[Any, Any]:
    """A field of an update: may be left out; null only where the row allows no value.

    A field whose type has no null (a required one, or one with a default such as ``false``)
    keeps its type, so the OpenAPI document says what the server accepts: ``null`` there is
    refused at once, as it would be when the changed row is checked.
    """
    if _accepts_null(info):
        return _constrained(info), Field(default=None, description=info.description)
    no_null_default = Field(default=None, description=info.description, json_schema_extra=_omit_default)
    return _constrained(info), no_null_default


def update_schema(create: type[BaseModel]) -> type[BaseModel]:
    """Every field of ``create`` made optional (keeping its constraints), plus ``version`` and ``reason``.

    Fields the row requires may be left out but not set to null; the others accept null to
    clear them. The merged row is validated against ``create`` again before it is saved, so
    checks across fields still hold after a partial change.
    """
    fields: dict[str, Any] = {name: _update_field(info) for name, info in create.model_fields.items()}
    return create_model(create.__name__.replace("Create", "Update"), __base__=ChangeMeta, **fields)


def public_schema(create: type[BaseModel]) -> type[BaseModel]:
    """The fields of ``create`` plus the row's id, patient, version and creation time."""
    fields: dict[str, Any] = {name: (info.annotation, ...) for name, info in create.model_fields.items()}
    return create_model(
        create.__name__.replace("Create", "Public"),
        __config__=ConfigDict(from_attributes=True),
        id=(int, ...),
        patient_id=(int, ...),
        version=(int, ...),
        created_at=(datetime, ...),
        **fields,
    )
