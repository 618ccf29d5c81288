"""Result objects: every estimator's answer renders as a JSON-ready dict, plain text and HTML.

A result class implements :meth:`Result.to_dict` (JSON-ready: floats, ints, strings, lists,
dicts; ``None`` where R gives ``NA``) and :meth:`Result.tables` (what a reader sees). Text and
HTML are built from the tables, so the two never disagree.
"""

from __future__ import annotations

import html
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Table:
    """A titled table of already-computed values."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str = ""


def format_value(value: Any, digits: int = 4) -> str:
    """How a cell prints: significant digits for floats, NA for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NA"
    if isinstance(value, float):
        if math.isinf(value):
            return "Inf" if value > 0 else "-Inf"
        return f"{value:.{digits}g}"
    return str(value)


def json_number(value: float | None) -> float | None:
    """A float for JSON: NaN becomes ``None`` (R's NA); infinities are kept out of JSON as ``None``."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


class Result(ABC):
    """Base of every estimator result."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation (the CLI's ``--json`` output)."""

    @abstractmethod
    def tables(self) -> Sequence[Table]:
        """The tables a reader sees, in order."""

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def to_text(self) -> str:
        return "\n\n".join(_text_table(table) for table in self.tables())

    def to_html(self) -> str:
        return "\n".join(_html_table(table) for table in self.tables())

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        return self.to_html()


def _text_table(table: Table) -> str:
    cells = [[format_value(value) for value in row] for row in table.rows]
    widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(table.columns)]
    header = "  ".join(name.rjust(width) for name, width in zip(table.columns, widths, strict=True))
    lines = [table.title, header]
    lines += ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in cells]
    if table.note:
        lines.append(table.note)
    return "\n".join(lines)


def _html_table(table: Table) -> str:
    head = "".join(f'<th scope="col">{html.escape(name)}</th>' for name in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(format_value(value))}</td>" for value in row) + "</tr>"
        for row in table.rows
    )
    note = f"<p>{html.escape(table.note)}</p>" if table.note else ""
    return (
        f'<table class="remission-result"><caption>{html.escape(table.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"
    )
