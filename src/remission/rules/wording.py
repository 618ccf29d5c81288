"""Values as a clinician reads them: fractions as powers of ten, dates in ISO form, yes and no."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(value: float) -> str:
    """``0.0005`` as ``5 × 10⁻⁴``, ``1e-4`` as ``10⁻⁴``; 0 and values from 1 up as plain numbers.

    Never rounded: the mantissa has as many digits as the value needs, so a result just
    below a cutoff never reads as the cutoff (``9.9999 × 10⁻⁵``, not ``10⁻⁴``).
    """
    if value == 0 or not math.isfinite(value) or abs(value) >= 1:
        return f"{value:g}"
    digits = next(p for p in range(17) if float(f"{value:.{p}e}") == value)
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    power = "10" + str(int(exponent)).translate(_SUPERSCRIPT)
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    return power if mantissa == "1" else f"{mantissa} × {power}"


def percent(fraction: float) -> str:
    """A fraction as a percentage, e.g. ``0.05 %``, without rounding away digits the value has."""
    return f"{format((Decimal(repr(fraction)) * 100).normalize(), 'f')} %"


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
