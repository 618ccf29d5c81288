"""The published JSON Schemas stay in step with the models that generate them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from remission.protocols import protocol_json_schema
from remission.protocols.schema import generate_protocol_schema
from remission.record import record_json_schema

REPO = Path(__file__).resolve().parents[1]


class TestShippedSchemas:
    def test_packaged_protocol_schema_matches_the_models(self) -> None:
        """The protocol schema shipped in the package equals the one generated from the models."""
        assert protocol_json_schema() == generate_protocol_schema()

    @pytest.mark.parametrize(
        ("name", "generate"),
        [("record.schema.json", record_json_schema), ("protocol.schema.json", generate_protocol_schema)],
    )
    def test_documented_schema_matches_the_models(self, name: str, generate) -> None:
        """The schema published in docs/ equals the one generated from the models."""
        published = json.loads((REPO / "docs" / name).read_text("utf-8"))
        assert published == generate()
