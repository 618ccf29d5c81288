"""Generating the knowledge-base JSON Schema that ships in the package."""

from __future__ import annotations

from typing import Any

from remission.knowledge.model import KnowledgeFile


def generate_knowledge_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a knowledge-base file, generated from the models."""
    schema = KnowledgeFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://remission.dev/schemas/knowledge-v1.json"
    return schema
