"""Loading protocol files through :mod:`remission.datafiles`: shipped JSON Schema, then cross-checks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

from remission.datafiles import DataFileKind
from remission.errors import FieldProblem, InputError
from remission.protocols.consistency import protocol_problems
from remission.protocols.model import Protocol

_DATA = resources.files("remission.protocols") / "data"


class ProtocolError(InputError):
    """A protocol file that cannot be used, or a protocol id that is not shipped."""


@cache
def protocol_json_schema() -> dict[str, Any]:
    """The JSON Schema that every protocol file must satisfy (shipped in the package)."""
    text = (resources.files("remission.protocols") / "protocol.schema.json").read_text("utf-8")
    return cast(dict[str, Any], json.loads(text))


PROTOCOL_FILE = DataFileKind(
    Protocol,
    error=ProtocolError,
    schema=protocol_json_schema,
    whole="(protocol)",
    checks=protocol_problems,
)


def parse_protocol(data: Any, *, source: str) -> Protocol:
    """Validate decoded YAML as a protocol; raise :class:`ProtocolError` naming each problem."""
    return PROTOCOL_FILE.parse(data, source=source)


def load_protocol_text(text: str, *, source: str) -> Protocol:
    """Parse YAML 1.2 text as a protocol; raise :class:`ProtocolError` naming each problem."""
    return PROTOCOL_FILE.load_text(text, source=source)


def load_protocol_file(path: Path) -> Protocol:
    """Load and check a protocol file from disk."""
    return PROTOCOL_FILE.load_file(path)


def shipped_protocol_ids() -> list[str]:
    """Ids of the protocols shipped with the package, sorted."""
    return sorted(
        entry.name.removesuffix(".yaml") for entry in _DATA.iterdir() if entry.name.endswith(".yaml")
    )


@cache
def load_protocol(protocol_id: str) -> Protocol:
    """Load a shipped protocol by id; raise :class:`ProtocolError` if there is none."""
    if protocol_id not in shipped_protocol_ids():
        known = ", ".join(shipped_protocol_ids())
        raise ProtocolError("--protocol", [FieldProblem(protocol_id, f"unknown protocol; shipped: {known}")])
    entry = _DATA / f"{protocol_id}.yaml"
    protocol = load_protocol_text(entry.read_text("utf-8"), source=f"protocol {protocol_id}")
    if protocol.id != protocol_id:
        raise ProtocolError(entry.name, [FieldProblem("id", f"{protocol.id!r} differs from the file name")])
    return protocol


def with_parameters(protocol: Protocol, overrides: Mapping[str, Any]) -> Protocol:
    """A copy of ``protocol`` with parameter values replaced, checked again."""
    unknown = [name for name in overrides if name not in protocol.parameters]
    if unknown:
        known = ", ".join(sorted(protocol.parameters)) or "(none)"
        raise ProtocolError(
            "--param",
            [FieldProblem(name, f"not a parameter of {protocol.id}; known: {known}") for name in unknown],
        )
    data = protocol.model_dump(mode="json", by_alias=True, exclude_none=True)
    for name, value in overrides.items():
        data["parameters"][name]["value"] = value
    return parse_protocol(data, source=f"protocol {protocol.id} with --param")
