"""Text for people: MRD fractions, dates, ages and labels as the pages show them (Jinja filters)."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from enum import Enum
from typing import Any

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def scientific_text(value: float) -> str:
    """A positive number as ``1.2 × 10⁻⁴`` (``10⁻⁴`` for a mantissa of 1); 0 as ``0``."""
    if value <= 0:
        return "0"
    exponent = math.floor(math.log10(value))
    mantissa = value / 10**exponent
    if round(mantissa, 2) >= 10:  # 9.999 × 10⁻⁵ rounds up to the next power
        exponent, mantissa = exponent + 1, mantissa / 10
    power = f"10{str(exponent).translate(_SUPERSCRIPT)}"
    return power if round(mantissa, 2) == 1 else f"{mantissa:.3g} × {power}"


def mrd_text(value: float | None, positive_not_quantifiable: bool = False) -> str:
    """An MRD fraction as ``1.2 × 10⁻⁴ (0.012 %)``; 0 is *not detected*."""
    if positive_not_quantifiable:
        return "positive, not quantifiable"
    if value is None:
        return "not recorded"
    if value == 0:
        return "not detected (0)"
    return f"{scientific_text(value)} ({value * 100:.3g} %)"


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
