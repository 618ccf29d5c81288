"""A safe YAML loader with YAML 1.2 core-schema scalars.

PyYAML follows YAML 1.1: it reads ``on``/``no``/``yes`` as booleans, ``1e-4`` as a
string (its float pattern needs a dot) and dates as date objects. Every data file (through
:mod:`remission.datafiles`) and ``--param`` value is read the YAML 1.2 way instead: only
``true``/``false`` are booleans, ``1e-4`` is a float, and dates stay strings, as JSON
Schema expects.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = ["YAMLError", "Yaml12Loader", "load_yaml12"]

YAMLError = yaml.YAMLError

_BOOL = "tag:yaml.org,2002:bool"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"

_YAML12_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_YAML12_FLOAT = re.compile(
    r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.VERBOSE,
)


class Yaml12Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with YAML 1.2 booleans and floats, and no timestamps."""


def _resolvers() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    table: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
        kept = [
            (tag, _YAML12_BOOL if tag == _BOOL else regexp)
            for tag, regexp in resolvers
            if tag not in (_TIMESTAMP, _FLOAT)
        ]
        table[first] = kept
    for first in "-+.0123456789":
        # Integers match first; a float resolver after them catches 1.5, 1e-4, .5.
        table.setdefault(first, []).append((_FLOAT, _YAML12_FLOAT))
    return table


Yaml12Loader.yaml_implicit_resolvers = _resolvers()


def load_yaml12(text: str) -> Any:
    """Parse YAML text with YAML 1.2 scalars; raises ``yaml.YAMLError`` on bad syntax."""
    return yaml.load(text, Loader=Yaml12Loader)
