"""Restricted mean survival time (RMST): the area under the Kaplan–Meier curve from 0 to ``tau``.

Per group this matches R's ``summary(survfit(...), rmean = tau)$table[, c("rmean", "se(rmean)")]``
(the same numbers ``print(fit, rmean = tau)`` shows):

* ``rmean = Σ S(t_{i-1}) (t_i - t_{i-1})`` over the curve's times up to ``tau`` (``t_0 = 0``,
  ``S(t_0) = 1``), the last step extended to ``tau`` (also when ``tau`` is past the last follow-up);
* ``var = Σ_{t_i <= tau} A_i² · d_i / (n_i (n_i - d_i))`` with ``A_i`` the area under the curve
  from ``t_i`` to ``tau``; a time where everyone at risk dies contributes 0 (as R).

The difference between a group and the reference (the first group in R's factor order) is
``rmean_g - rmean_ref`` with ``se = sqrt(se_g² + se_ref²)`` (the groups are independent samples),
a Wald z-test and normal confidence limits; R has no single function for it.

References: Royston & Parmar (2013), BMC Med Res Methodol 13:152; Klein & Moeschberger (2003), §4.5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as scipy_stats

from remission.stats.inputs import refuse
from remission.stats.kaplan_meier import SurvivalCurve, kaplan_meier
from remission.stats.results import Result, Table, json_number


@dataclass(frozen=True)
class GroupRestrictedMean:
    """One group's RMST up to ``tau`` (time units of the input) with its standard error and limits."""

    group: str
    n: int
    events: int
    rmean: float
    se: float
    lower: float
    upper: float


@dataclass(frozen=True)
class RestrictedMeanDifference:
    """``rmean(group) - rmean(reference)`` with its standard error, Wald z, p-value and limits."""

    group: str
    reference: str
    estimate: float
    se: float
    z: float
    p_value: float
    lower: float
    upper: float


@dataclass(frozen=True)
class RestrictedMeanResult(Result):
    """RMST per group and the difference of every other group from the first (reference) group."""

    tau: float
    conf_level: float
    groups: tuple[GroupRestrictedMean, ...]
    differences: tuple[RestrictedMeanDifference, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "tau": self.tau,
            "conf_level": self.conf_level,
            "groups": [
                {
                    "group": g.group,
                    "n": g.n,
                    "events": g.events,
                    "rmean": json_number(g.rmean),
                    "se": json_number(g.se),
                    "lower": json_number(g.lower),
                    "upper": json_number(g.upper),
                }
                for g in self.groups
            ],
            "differences": [
                {
                    "group": d.group,
                    "reference": d.reference,
                    "estimate": json_number(d.estimate),
                    "se": json_number(d.se),
                    "z": json_number(d.z),
                    "p_value": json_number(d.p_value),
                    "lower": json_number(d.lower),
                    "upper": json_number(d.upper),
                }
                for d in self.differences
            ],
        }

    def tables(self) -> Sequence[Table]:
        level = f"{self.conf_level:g}"
        tables = [
            Table(
                f"Restricted mean survival time up to {self.tau:g}",
                ("group", "n", "events", "rmean", "se", f"{level} LCL", f"{level} UCL"),
                tuple((g.group, g.n, g.events, g.rmean, g.se, g.lower, g.upper) for g in self.groups),
            )
        ]
        if self.differences:
            tables.append(
                Table(
                    "Difference in restricted mean survival time",
                    ("comparison", "difference", "se", "z", "p", f"{level} LCL", f"{level} UCL"),
                    tuple(
                        (f"{d.group} - {d.reference}", d.estimate, d.se, d.z, d.p_value, d.lower, d.upper)
                        for d in self.differences
                    ),
                    "se = sqrt(se1^2 + se2^2) (independent groups); Wald z-test.",
                )
            )
        return tuple(tables)


def restricted_mean(
    time: ArrayLike,
    event: ArrayLike,
    *,
    tau: float,
    group: ArrayLike | None = None,
    entry: ArrayLike | None = None,
    conf_level: float = 0.95,
) -> RestrictedMeanResult:
    """RMST up to ``tau`` per group and differences from the first group; matches R's ``rmean = tau``.

    ``time``/``event``/``group``/``entry`` as :func:`~remission.stats.kaplan_meier.kaplan_meier`
    (``entry`` uses the late-entry curve, as R's ``survfit`` on ``Surv(entry, time, event)``);
    ``tau`` > 0 in the units of ``time``. Limits are ``rmean ± z·se``.
    """
    try:
        horizon = float(tau)
    except (TypeError, ValueError):
        raise refuse("tau", f"must be a number, got {tau!r}") from None
    if not math.isfinite(horizon) or horizon <= 0:
        raise refuse("tau", f"must be a positive finite time, got {tau!r}")
    fit = kaplan_meier(time, event, group=group, entry=entry, conf_level=conf_level)
    z = float(scipy_stats.norm.ppf(0.5 + fit.conf_level / 2.0))
    groups = []
    for curve in fit.curves:
        mean, se = _area(curve, horizon)
        groups.append(
            GroupRestrictedMean(curve.group, curve.n, curve.events, mean, se, mean - z * se, mean + z * se)
        )
    reference = groups[0]
    differences = []
    for other in groups[1:]:
        estimate = other.rmean - reference.rmean
        se = math.hypot(other.se, reference.se)
        statistic = estimate / se if se > 0 else math.nan
        differences.append(
            RestrictedMeanDifference(
                group=other.group,
                reference=reference.group,
                estimate=estimate,
                se=se,
                z=statistic,
                p_value=float(2.0 * scipy_stats.norm.sf(abs(statistic))) if se > 0 else math.nan,
                lower=estimate - z * se,
                upper=estimate + z * se,
            )
        )
    return RestrictedMeanResult(horizon, fit.conf_level, tuple(groups), tuple(differences))


def _area(curve: SurvivalCurve, tau: float) -> tuple[float, float]:
    """RMST and its standard error for one curve (see the module docstring)."""
    kept = int(np.searchsorted(curve.time, tau, side="right"))
    times = np.concatenate((curve.time[:kept], [tau]))
    heights = np.concatenate(([1.0], curve.survival[:kept]))
    rectangles = np.diff(np.concatenate(([0.0], times))) * heights
    at_risk = curve.n_risk[:kept].astype(np.float64)
    deaths = curve.n_event[:kept].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard_term = np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), 0.0)
    # Area from each kept time t_i to tau: the rectangles after position i.
    area_after = np.cumsum(rectangles[::-1])[::-1][1:]
    return float(rectangles.sum()), float(math.sqrt(np.sum(area_after**2 * hazard_term)))
