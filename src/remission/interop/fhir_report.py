"""The mapping report of a FHIR import: what was read from where, what was ignored, what is unknown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ReadItem:
    """A record field and the resource element it was read from."""

    field: str
    element: str
    value: str


@dataclass(frozen=True, slots=True)
class IgnoredItem:
    """A resource or element the import did not read, and why."""

    element: str
    reason: str


@dataclass(frozen=True, slots=True)
class UnknownItem:
    """A record field the screening reads that stays unknown, and why."""

    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class MappingReport:
    """The whole account of one bundle's import."""

    source: str
    resources: int
    read: tuple[ReadItem, ...] = field(default=())
    ignored: tuple[IgnoredItem, ...] = field(default=())
    unknown: tuple[UnknownItem, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "source": self.source,
            "resources": self.resources,
            "read": [{"field": i.field, "element": i.element, "value": i.value} for i in self.read],
            "ignored": [{"element": i.element, "reason": i.reason} for i in self.ignored],
            "unknown": [{"field": i.field, "reason": i.reason} for i in self.unknown],
        }

    def lines(self) -> list[str]:
        """The report in words, one line per item."""
        lines = [f"FHIR import of {self.source} ({self.resources} resources)"]
        lines.append("read:" if self.read else "read: nothing")
        lines.extend(f"  {i.field} ← {i.element} = {i.value}" for i in self.read)
        if self.ignored:
            lines.append("ignored:")
            lines.extend(f"  {i.element}: {i.reason}" for i in self.ignored)
        if self.unknown:
            lines.append("unknown (needs review):")
            lines.extend(f"  {i.field}: {i.reason}" for i in self.unknown)
        return lines
