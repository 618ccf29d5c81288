"""Text for people: MRD fractions, dates, ages and labels as the pages show them (Jinja filters)."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import Enum
from typing import Any

from remission.rules.explain import missing_label
from remission.rules.wording import percent, power_of_ten


def mrd_text(value: float | None, positive_not_quantifiable: bool = False) -> str:
    """An MRD fraction as ``1.2 × 10⁻⁴ (0.012 %)``; 0 is *not detected*."""
    if positive_not_quantifiable:
        return "positive, not quantifiable"
    if value is None:
        return "not recorded"
    if value == 0:
        return "not detected (0)"
    return f"{power_of_ten(value)} ({percent(value)})"


def value_text(value: Any) -> str:
    """Any stored value as short text: enums by value, dates ISO, booleans yes/no, None as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))
    return str(value)


def field_text(path: str) -> str:
    """A record path or missing input in clinical words: ``genetics.kmt2a.status`` → ``KMT2A status``."""
    return missing_label(path)


def label_text(name: str) -> str:
    """A field or id as words: ``risk_group`` → ``risk group``."""
    return name.replace("_", " ").replace("-", " ")


def age_text(born: date | None, on: date | None) -> str:
    """Age in completed months (and days under one month) on ``on``; a dash when a date is unknown."""
    if born is None or on is None or on < born:
        return "—"
    months = (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)
    if months >= 1:
        return f"{months} month{'s' if months != 1 else ''}"
    days = (on - born).days
    return f"{days} day{'s' if days != 1 else ''}"


def mg_text(value: float | None) -> str:
    """A dose in mg/m² with at most one decimal; *unknown* for None."""
    return "unknown" if value is None else f"{value:.1f} mg/m²"
