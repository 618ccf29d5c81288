"""Splitting a registry's free-text eligibility criteria into inclusion and exclusion bullets.

ClinicalTrials.gov keeps eligibility as one text, usually "Inclusion Criteria:" and "Exclusion
Criteria:" headings over bulleted lists ("*", "-", "•", "1.", "a)"). Each bullet becomes one
criterion for a curator to encode; its text is kept as written (line breaks inside a bullet
become single spaces, the bullet marker is dropped). Nothing is interpreted here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["inclusion", "exclusion"]

_HEADING = re.compile(
    r"^[\W_]*(?:[A-Za-z0-9/,() -]{0,60}?\s)?(inclusion|exclusion)\s+criteri(?:a|on)\b[^.]{0,80}?:?[\W_]*$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^(\s*)(?:[*•·+\-–]|\d{1,3}[.)]|\(\d{1,3}\)|[a-zA-Z][.)]|\([a-z]{1,4}\))\s+(\S.*)$")


@dataclass(frozen=True, slots=True)
class Bullet:
    """One bullet of the criteria text.

    ``kind`` is ``None`` for text before any inclusion/exclusion heading. ``context`` is the
    section heading and any sub-heading (e.g. "Phase 1:") the bullet sits under; ``parent`` is
    the index of the bullet it is indented under, if any.
    """

    kind: Kind | None
    text: str
    context: tuple[str, ...] = ()
    parent: int | None = None


@dataclass
class _Open:
    kind: Kind | None
    indent: int
    lines: list[str]
    context: tuple[str, ...]
    parent: int | None


def _heading_kind(line: str) -> Kind | None:
    match = _HEADING.match(line.strip())
    if match is None or _BULLET.match(line):
        return None
    return "inclusion" if match.group(1).lower() == "inclusion" else "exclusion"


def split_criteria(text: str) -> list[Bullet]:
    """The bullets of ``text`` in order; an empty text gives an empty list."""
    bullets: list[Bullet] = []
    stack: list[tuple[int, int]] = []  # (indent, bullet index) of the open parents
    kind: Kind | None = None
    heading: str | None = None
    subheading: str | None = None
    current: _Open | None = None

    def close() -> None:
        nonlocal current
        if current is not None:
            joined = " ".join(part.strip() for part in current.lines if part.strip())
            bullets.append(Bullet(current.kind, joined, current.context, current.parent))
            current = None

    def context() -> tuple[str, ...]:
        return tuple(part for part in (heading, subheading) if part)

    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if not stripped:
            close()
            continue
        found = _heading_kind(line)
        if found is not None:
            close()
            kind, heading, subheading, stack = found, stripped, None, []
            continue
        bullet = _BULLET.match(line)
        if bullet is not None:
            close()
            indent = len(bullet.group(1).expandtabs(4))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1] if stack else None
            current = _Open(kind, indent, [bullet.group(2)], context(), parent)
            stack.append((indent, len(bullets)))
            continue
        indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
        # A short line ending in ":" that is not indented under the open bullet heads what follows.
        if stripped.endswith(":") and len(stripped) <= 80 and (current is None or indent <= current.indent):
            close()
            subheading, stack = stripped, []
        elif current is not None:
            current.lines.append(stripped)
        else:
            current = _Open(kind, 0, [stripped], context(), None)
    close()
    return bullets
