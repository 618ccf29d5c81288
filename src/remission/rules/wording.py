"""Values as a clinician reads them: fractions as powers of ten, dates in ISO form, yes and no."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from enum import Enum
from typing import Any

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(value: float) -> str:
    """``0.0005`` as ``5 × 10⁻⁴``, ``1e-4`` as ``10⁻⁴``; 0 and values from 1 up as plain numbers."""
    if value == 0 or not math.isfinite(value) or abs(value) >= 1:
        return f"{value:g}"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = round(value / 10**exponent, 2)
    if abs(mantissa) >= 10:  # rounding carried into the next power
        mantissa, exponent = mantissa / 10, exponent + 1
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    return power if mantissa == 1 else f"{mantissa:g} × {power}"


def percent(fraction: float) -> str:
    """A fraction as a percentage with up to three significant digits, e.g. ``0.05 %``."""
    return f"{fraction * 100:.3g} %"


def word(value: Any) -> str:
    """One recorded value in words: ``yes``/``no``, ISO dates, enum values, lists joined."""
    if value is None:
        return "not recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{key} {word(item)}" for key, item in value.items()) or "none"
    if isinstance(value, list | tuple):
        return listed(value) or "none"
    return str(value)


def listed(values: Iterable[Any], conjunction: str = "or") -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    items = [word(value) for value in values]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"
