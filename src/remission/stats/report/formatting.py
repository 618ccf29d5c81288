"""How the report prints its numbers: "estimate ± SE%" cells, p-values, and "not estimable".

A cell is printed only from a number an estimator returned; anything else is the fixed text
:data:`NOT_ESTIMABLE`, never a substitute number.
"""

from __future__ import annotations

import math

#: What a cell says when no estimate may be shown (group too small, no one at risk, no test).
NOT_ESTIMABLE = "not estimable"


def percent_se(
    estimate: float | None,
    std_err: float | None,
    lower: float | None = None,
    upper: float | None = None,
) -> str:
    """``"60.2 ± 11.1% (95% CI 38.0–76.4)"`` from proportions (0–1): the estimate, its standard
    error and, when both are finite, its 95% confidence limits; ``"60.2% (SE not estimable)"``
    without a finite SE. ``estimate`` ``None`` or not finite gives :data:`NOT_ESTIMABLE`.
    """
    if estimate is None or not math.isfinite(estimate):
        return NOT_ESTIMABLE
    if std_err is None or not math.isfinite(std_err):
        return f"{100 * estimate:.1f}% (SE not estimable)"
    text = f"{100 * estimate:.1f} ± {100 * std_err:.1f}%"
    if lower is not None and upper is not None and math.isfinite(lower) and math.isfinite(upper):
        text += f" (95% CI {100 * lower:.1f}–{100 * upper:.1f})"
    return text


def p_value(p: float | None) -> str:
    """``"p = 0.034"`` to three decimals, ``"p < 0.001"`` below that; :data:`NOT_ESTIMABLE` when missing."""
    if p is None or not math.isfinite(p):
        return NOT_ESTIMABLE
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}"


def statistic(value: float | None, df: int | None) -> str:
    """``"χ² = 4.21, 2 df"``; :data:`NOT_ESTIMABLE` when missing."""
    if value is None or df is None or not math.isfinite(value):
        return NOT_ESTIMABLE
    return f"χ² = {value:.2f}, {df} df"
