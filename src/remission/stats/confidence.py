"""Pointwise confidence limits of a survival curve and the median rule, as R's ``survival`` reports them.

Conventions (checked against R ``survival`` 3.5 by ``tests/stats/reference/R/km.R``):

* ``std_err_log`` is the Greenwood standard error of ``-log S(t)`` (R's ``fit$std.err``); the
  standard error of ``S(t)`` itself is ``S * std_err_log`` (what ``summary(fit)`` prints).
* ``"log"`` (R's default): ``exp(log S ± z·se)``, upper limit capped at 1; undefined (NaN, R's NA)
  where ``S = 0``.
* ``"log-log"``: ``exp(-exp(log(-log S) ∓ z·se / log S))``; undefined where ``S = 0`` *and* where
  ``S = 1`` (R leaves those limits NA rather than 1).
* ``"plain"``: ``S ± z·S·se`` clipped to ``[0, 1]``; undefined where ``S = 0`` (``0 × ∞``).

The median and its confidence limits follow ``print(survfit)`` / ``summary(fit)$table``: the first
time at which the curve (or its lower / upper limit) is ``< 0.5`` (with a tolerance of
``sqrt(machine epsilon)``); when the curve is exactly 0.5 at that time and drops below 0.5 later,
the median is the midpoint between the two times. A curve that stays at exactly 0.5 to its end
gives the time it reached 0.5. (``quantile.survfit`` differs in that last case only: it returns the
midpoint with the last follow-up time.)
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import stats as scipy_stats

from remission.stats.inputs import refuse

ConfType = Literal["log", "log-log", "plain"]
CONF_TYPES: tuple[str, ...] = ("log", "log-log", "plain")

# R compares survival to 0.5 with this tolerance (sqrt of double machine epsilon).
MEDIAN_TOLERANCE = math.sqrt(np.finfo(np.float64).eps)


def check_conf(conf_type: str, conf_level: float) -> float:
    """Validate the confidence options; returns the two-sided normal quantile ``z``."""
    if conf_type not in CONF_TYPES:
        raise refuse("conf_type", f"must be one of {list(CONF_TYPES)}, got {conf_type!r}")
    try:
        level = float(conf_level)
    except (TypeError, ValueError):
        raise refuse("conf_level", f"must be a number between 0 and 1, got {conf_level!r}") from None
    if not 0.0 < level < 1.0:
        raise refuse("conf_level", f"must be strictly between 0 and 1, got {conf_level!r}")
    return float(scipy_stats.norm.ppf(1.0 - (1.0 - level) / 2.0))


def survival_limits(
    survival: NDArray[np.float64], std_err_log: NDArray[np.float64], conf_type: str, z: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lower and upper pointwise limits of ``survival``; NaN where R reports NA.

    ``std_err_log`` is the standard error of ``log S`` (Greenwood); ``z`` the normal quantile.
    """
    s = np.asarray(survival, dtype=np.float64)
    se = np.asarray(std_err_log, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            half = z * se * s
            return np.maximum(s - half, 0.0), np.minimum(s + half, 1.0)
        if conf_type == "log":
            log_s = np.log(np.where(s > 0, s, np.nan))
            return np.exp(log_s - z * se), np.minimum(np.exp(log_s + z * se), 1.0)
        if conf_type == "log-log":
            inner = np.where((s > 0) & (s < 1), s, np.nan)
            log_s = np.log(inner)
            shift = z * se / log_s
            log_minus_log = np.log(-log_s)
            return np.exp(-np.exp(log_minus_log - shift)), np.exp(-np.exp(log_minus_log + shift))
    raise refuse("conf_type", f"must be one of {list(CONF_TYPES)}, got {conf_type!r}")


def first_below_half(values: NDArray[np.float64], times: NDArray[np.float64]) -> float | None:
    """R's median rule applied to one curve (estimate, lower or upper limit); ``None`` if never < 0.5.

    NaN points (R's NA limits) are skipped, as R does.
    """
    y = np.asarray(values, dtype=np.float64)
    keep = ~np.isnan(y) & (y < 0.5 + MEDIAN_TOLERANCE)
    if not np.any(keep):
        return None
    kept_y = y[keep]
    kept_t = np.asarray(times, dtype=np.float64)[keep]
    first = kept_y[0]
    if abs(first - 0.5) < MEDIAN_TOLERANCE:
        # The curve sits at 0.5 over an interval: take the midpoint up to where it drops below.
        lower = np.flatnonzero(kept_y < first)
        if lower.size:
            return float((kept_t[0] + kept_t[lower[0]]) / 2.0)
    return float(kept_t[0])
