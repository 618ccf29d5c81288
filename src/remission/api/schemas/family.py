"""Deriving an entity's Update and Public schemas from its Create schema."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.fields import FieldInfo

from remission.store import MAX_ID, Strict


class ChangeMeta(Strict):
    version: int = Field(
        ge=1, le=MAX_ID, strict=True, description="The version you read; a stale version gets 409."
    )
    reason: str = Field(min_length=1, description="Why the saved record is changed (audit trail).")


def _optional(info: FieldInfo) -> Any:
    """The field's type, with its constraints, or None."""
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[annotation, *info.metadata]
    return annotation | None


def update_schema(create: type[BaseModel]) -> type[BaseModel]:
    """Every field of ``create`` made optional (keeping its constraints), plus ``version`` and ``reason``.

    The merged row is validated against ``create`` again before it is saved, so
    checks across fields still hold after a partial change.
    """
    fields: dict[str, Any] = {
        name: (_optional(info), Field(default=None, description=info.description))
        for name, info in create.model_fields.items()
    }
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
