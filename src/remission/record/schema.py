"""The published JSON Schema of the clinical record."""

from __future__ import annotations

from typing import Any

from remission.record.model import RECORD_SCHEMA_VERSION, PatientRecord


def record_json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of :class:`PatientRecord`."""
    schema = PatientRecord.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://remission.dev/schemas/record-v{RECORD_SCHEMA_VERSION}.json"
    return schema
