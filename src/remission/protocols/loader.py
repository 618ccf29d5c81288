"""Loading protocol files: YAML, then the shipped JSON Schema, then the models, then cross-checks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from pydantic import ValidationError

from remission.errors import FieldProblem, InputError, problems_from_validation
from remission.protocols.consistency import protocol_problems
from remission.protocols.model import Protocol
from remission.protocols.yaml12 import load_yaml12

_DATA = resources.files("remission.protocols") / "data"


class ProtocolError(InputError):
    """A protocol file that cannot be used, or a protocol id that is not shipped."""


@cache
def protocol_json_schema() -> dict[str, Any]:
    """The JSON Schema that every protocol file must satisfy (shipped in the package)."""
    text = (resources.files("remission.protocols") / "protocol.schema.json").read_text("utf-8")
    return json.loads(text)


def _schema_problems(data: Any) -> list[FieldProblem]:
    validator = jsonschema.Draft202012Validator(protocol_json_schema())
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        problems.append(FieldProblem(path.lstrip(".") or "(protocol)", error.message))
    return problems


def parse_protocol(data: Any, *, source: str) -> Protocol:
    """Validate decoded YAML as a protocol; raise :class:`ProtocolError` naming each problem."""
    schema_problems = _schema_problems(data)
    try:
        protocol = Protocol.model_validate(data)
    except ValidationError as error:
        # The models word union failures more precisely than the schema validator.
        raise ProtocolError(source, problems_from_validation(error)) from None
    if schema_problems:
        raise ProtocolError(source, schema_problems)
    problems = protocol_problems(protocol)
    if problems:
        raise ProtocolError(source, problems)
    return protocol


def load_protocol_text(text: str, *, source: str) -> Protocol:
    try:
        data = load_yaml12(text)
    except yaml.YAMLError as error:
        raise ProtocolError(source, [FieldProblem("(yaml)", str(error).replace("\n", " "))]) from None
    return parse_protocol(data, source=source)


def load_protocol_file(path: Path) -> Protocol:
    """Load and check a protocol file from disk."""
    try:
        text = path.read_text("utf-8")
    except OSError as error:
        raise ProtocolError(str(path), [FieldProblem("(file)", error.strerror or str(error))]) from None
    return load_protocol_text(text, source=str(path))


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
