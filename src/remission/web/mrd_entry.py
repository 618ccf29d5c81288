"""MRD values typed in percent or as a fraction: the unit, the conversion, and the echo to confirm.

The store keeps MRD as a fraction of nucleated cells (``value_fraction``; 10⁻⁴ is 0.01 %). The
form takes the value with a unit; the server converts a percentage to the fraction, refuses a
value out of range under the value's input, and before saving shows the value back in both units
("You entered 0.05 % = 5 × 10⁻⁴ (fraction)") for the person to confirm. The confirmation names
the text and unit it confirmed, so a value changed after the echo is echoed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from remission.rules.wording import percent, power_of_ten
from remission.web.forms import Submission

VALUE = "value_fraction"
UNIT = "value_unit"
CONFIRMED = "confirmed_value"
UNITS: tuple[tuple[str, str], ...] = (("fraction", "fraction of nucleated cells"), ("percent", "percent (%)"))
UNIT_LABEL = "Unit of the MRD value"


def unit_of(form: Mapping[str, Any], submission: Submission) -> str:
    """The unit chosen (``fraction`` when none is sent, as the API takes fractions)."""
    unit = str(form.get(UNIT, "") or "fraction")
    if unit not in dict(UNITS):
        submission.errors[UNIT] = "Choose percent or fraction."
        return "fraction"
    return unit


def apply_unit(submission: Submission, unit: str) -> None:
    """Turn the typed value into the stored fraction; an out-of-range value is refused under its input."""
    value = submission.values.get(VALUE)
    if not isinstance(value, float) or VALUE in submission.errors:
        return
    if value < 0:
        submission.errors[VALUE] = "MRD cannot be negative; 0 means not detected."
    elif unit == "percent" and value > 100:
        submission.errors[VALUE] = "A percentage is at most 100 %."
    elif unit == "fraction" and value > 1:
        submission.errors[VALUE] = "A fraction is at most 1 (= 100 %); to type a percentage, choose percent."
    elif unit == "percent":
        # 12 significant digits drop the binary noise of the division (0.07 / 100).
        submission.values[VALUE] = float(f"{value / 100:.12g}")


def token(submission: Submission, unit: str) -> str:
    """What a confirmation confirms: the unit and the text typed."""
    return f"{unit}:{submission.raw.get(VALUE, '').strip()}"


def echo(submission: Submission, unit: str) -> str:
    """The value read back in both units, e.g. ``You entered 0.05 % = 5 × 10⁻⁴ (fraction)``."""
    typed = submission.raw.get(VALUE, "").strip()
    fraction = submission.values.get(VALUE)
    if not isinstance(fraction, float):
        return ""
    if unit == "percent":
        return f"You entered {typed} % = {power_of_ten(fraction)} (fraction)"
    return f"You entered {typed} (fraction) = {power_of_ten(fraction)} = {percent(fraction)}"


def needs_confirmation(
    form: Mapping[str, Any], submission: Submission, unit: str, stored: Any = None
) -> bool:
    """True when a value is given, differs from the ``stored`` one, and its echo was not confirmed."""
    fraction = submission.values.get(VALUE)
    if not isinstance(fraction, float) or fraction == stored:
        return False
    return str(form.get(CONFIRMED, "")) != token(submission, unit)
