"""Generating the protocol JSON Schema that ships in the package."""

from __future__ import annotations

from typing import Any

from remission.protocols.model import Protocol


def generate_protocol_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a protocol file, generated from the models."""
    schema = Protocol.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://remission.dev/schemas/protocol-v1.json"
    return schema
