"""Kaplan–Meier survival curves with Greenwood standard errors, as R's ``survfit(Surv(...) ~ group)``.

Each group's curve has one point per distinct follow-up time (event or censoring), like R's
``survfit`` default. ``S(t) = Π (1 - d_i / n_i)`` over times ``t_i <= t``; the Greenwood variance
of ``log S(t)`` is ``Σ d_i / (n_i (n_i - d_i))`` (infinite once ``S`` reaches 0, where R reports
the standard error of ``S`` as NaN and the limits as NA). With ``entry`` (late entry / left
truncation, R's ``Surv(entry, time, event)``) a subject is at risk on ``(entry, time]``.

References: Kaplan & Meier (1958), JASA 53:457–481; Greenwood (1926); Therneau & Grambsch (2000),
*Modeling Survival Data*, ch. 2; R ``survival::survfit``, ``summary.survfit``, ``print.survfit``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from remission.errors import InputError
from remission.stats._risk_table import RiskTable, risk_table, whole_offsets
from remission.stats.confidence import check_conf, first_below_half, survival_limits
from remission.stats.inputs import as_events, as_groups, as_times, refuse
from remission.stats.logrank import LogrankResult, compare_groups
from remission.stats.results import Result, Table, json_number


@dataclass(frozen=True, eq=False)
class SurvivalCurve:
    """One group's Kaplan–Meier curve.

    Arrays have one entry per distinct follow-up time, increasing. ``std_err`` is the standard
    error of ``S(t)`` (R's ``summary(fit)$std.err``), ``std_err_log`` that of ``log S(t)`` (R's
    ``fit$std.err``). NaN marks values R reports as NA. ``median`` and its limits are ``None`` when
    the curve (or limit) never drops below 0.5. ``n`` counts records (rows; with late entry a
    subject split into several intervals counts once per interval, as R's ``records``).
    """

    group: str
    n: int
    events: int
    time: NDArray[np.float64]
    n_risk: NDArray[np.int64]
    n_event: NDArray[np.int64]
    n_censor: NDArray[np.int64]
    survival: NDArray[np.float64]
    std_err: NDArray[np.float64]
    std_err_log: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    median: float | None
    median_lower: float | None
    median_upper: float | None

    def at(self, times: ArrayLike) -> list[dict[str, Any]]:
        """The curve at ``times``, as ``summary(fit, times = times, extend = TRUE)`` reports it.

        Rows keep the order of ``times``. Survival, standard error and limits are those of the last
        curve point at or before each time (1, 0, 1, 1 before the first point); ``n_risk`` is the
        number at risk at the first curve point at or after the time (0 after the last follow-up).
        Missing values (R's NA) are ``None``.
        """
        requested = np.atleast_1d(np.asarray(times, dtype=object))
        if requested.size == 0:
            return []
        wanted = as_times(requested, "at")
        starts_at_zero = self.time[0] == 0.0
        # R first adds a point at time 0 (survival 1, se 0, limits 1, n_risk of the first point).
        prefix = 0 if starts_at_zero else 1
        time0 = self.time if starts_at_zero else np.concatenate(([0.0], self.time))

        def extended(values: NDArray[Any], start: float) -> NDArray[Any]:
            return values if prefix == 0 else np.concatenate(([start], values))

        survival = extended(self.survival, 1.0)
        std_err = extended(self.std_err, 0.0)
        lower = extended(self.lower, 1.0)
        upper = extended(self.upper, 1.0)
        n_risk = np.concatenate((extended(self.n_risk, float(self.n_risk[0])), [0]))
        last = np.searchsorted(time0, wanted, side="right") - 1
        following = np.searchsorted(time0, wanted, side="left")
        return [
            {
                "time": float(t),
                "n_risk": int(n_risk[j]),
                "survival": json_number(survival[i]),
                "std_err": json_number(std_err[i]),
                "lower": json_number(lower[i]),
                "upper": json_number(upper[i]),
            }
            for t, i, j in zip(wanted, last, following, strict=True)
        ]


@dataclass(frozen=True, eq=False)
class KaplanMeierResult(Result):
    """Kaplan–Meier curves per group, plus the log-rank test when there are several groups.

    ``logrank`` is ``None`` for one group, with late entry (R's ``survdiff`` does not take
    counting-process data) or when no two groups have subjects at risk at an event time.
    """

    curves: tuple[SurvivalCurve, ...]
    conf_type: str
    conf_level: float
    late_entry: bool
    #: Computes the log-rank test on first use (curves alone need no test).
    compare: Callable[[], LogrankResult | None] = field(repr=False, default=lambda: None)

    @cached_property
    def logrank(self) -> LogrankResult | None:
        """The log-rank test across the groups, computed on first use."""
        return self.compare()

    def curve(self, group: str) -> SurvivalCurve:
        """The curve of one group by its label."""
        for curve in self.curves:
            if curve.group == group:
                return curve
        raise refuse("group", f"no group {group!r}; groups are {[c.group for c in self.curves]}")

    def to_dict(self, at: ArrayLike | None = None) -> dict[str, Any]:
        """``{"groups": [...], "logrank": {...}}``: medians and the curve at ``at`` (none if omitted).

        ``"logrank"`` is present when there is more than one group (``None`` where no test applies).
        """
        output: dict[str, Any] = {
            "groups": [
                {
                    "group": curve.group,
                    "n": curve.n,
                    "events": curve.events,
                    "median": curve.median,
                    "median_lower": curve.median_lower,
                    "median_upper": curve.median_upper,
                    "at": [] if at is None else curve.at(at),
                }
                for curve in self.curves
            ],
            "conf_type": self.conf_type,
            "conf_level": self.conf_level,
        }
        if len(self.curves) > 1:
            test = self.logrank
            output["logrank"] = (
                None
                if test is None
                else {
                    "statistic": json_number(test.statistic),
                    "df": test.df,
                    "p_value": json_number(test.p_value),
                }
            )
        return output

    def tables(self, at: ArrayLike | None = None) -> Sequence[Table]:
        """Medians per group, the curve at ``at`` (when given) and the log-rank test."""
        level = f"{self.conf_level:g}"
        summary = Table(
            "Kaplan–Meier estimate" + (" (late entry)" if self.late_entry else ""),
            ("group", "n", "events", "median", f"{level} LCL", f"{level} UCL"),
            tuple((c.group, c.n, c.events, c.median, c.median_lower, c.median_upper) for c in self.curves),
            f"Confidence limits: {self.conf_type} transform.",
        )
        tables = [summary]
        if at is not None:
            rows = tuple(
                (c.group, r["time"], r["n_risk"], r["survival"], r["std_err"], r["lower"], r["upper"])
                for c in self.curves
                for r in c.at(at)
            )
            columns = ("group", "time", "n at risk", "survival", "std. error", "lower", "upper")
            tables.append(Table("Survival at selected times", columns, rows))
        if self.logrank is not None:
            tables.extend(self.logrank.tables())
        return tuple(tables)


def kaplan_meier(
    time: ArrayLike,
    event: ArrayLike,
    *,
    group: ArrayLike | None = None,
    entry: ArrayLike | None = None,
    conf_type: str = "log",
    conf_level: float = 0.95,
) -> KaplanMeierResult:
    """Kaplan–Meier curves per group; matches R ``survfit(Surv(time, event) ~ group)``.

    ``time`` is follow-up in any unit (non-negative), ``event`` 1 = event / 0 = censored,
    ``group`` optional labels (curves in R's factor order; one curve ``"all"`` without),
    ``entry`` optional late-entry times (``entry < time``; R's ``Surv(entry, time, event)``),
    ``conf_type`` ``"log"`` (R's default), ``"log-log"`` or ``"plain"``, ``conf_level`` as R's
    ``conf.int``. With several groups and no ``entry`` the log-rank test is attached.
    """
    times = as_times(time, "time")
    events = as_events(event, times.size, "event")
    groups = as_groups(group, times.size, "group")
    z = check_conf(conf_type, conf_level)
    entries = None
    if entry is not None:
        entries = as_times(entry, "entry")
        if entries.size != times.size:
            raise refuse("entry", f"must have one value per subject ({times.size}), got {entries.size}")
        late = int(np.sum(entries >= times))
        if late:
            raise refuse("entry", f"{late} value(s) are not before the follow-up time (entry must be < time)")
    if whole_offsets(times) is not None:
        # Whole days: one counted table for all groups; each group's curve keeps the times it has.
        table = risk_table(times, events, groups.codes, groups.count, entries)
        curves = [_curve(label, table, code, conf_type, z) for code, label in enumerate(groups.labels)]
    else:
        # Other times are sorted: sorting each group apart is cheaper than one sort of everyone.
        curves = []
        for code, label in enumerate(groups.labels):
            members = groups.codes == code
            own = risk_table(
                times[members],
                events[members],
                np.zeros(int(members.sum()), dtype=np.int64),
                1,
                None if entries is None else entries[members],
            )
            curves.append(_curve(label, own, 0, conf_type, z))

    def compare() -> LogrankResult | None:
        if groups.count < 2 or entries is not None:
            return None
        try:
            return compare_groups(times, events, groups, as_groups(None, times.size), 0.0)
        except InputError:
            return None  # a singular variance matrix: no test, the curves still stand

    return KaplanMeierResult(tuple(curves), conf_type, float(conf_level), entries is not None, compare)


def _curve(label: str, table: RiskTable, column: int, conf_type: str, z: float) -> SurvivalCurve:
    """Group ``column``'s curve at the times where that group has an event or a censoring."""
    n_event_all = table.n_event[:, column]
    n_censor_all = table.n_censor[:, column]
    rows = np.flatnonzero((n_event_all + n_censor_all) > 0)
    return survival_curve_from_counts(
        label,
        table.time[rows],
        table.n_risk[rows, column],
        n_event_all[rows],
        n_censor_all[rows],
        conf_type,
        z,
    )


def survival_curve_from_counts(
    label: str,
    time: NDArray[np.float64],
    n_risk: NDArray[np.int64],
    n_event: NDArray[np.int64],
    n_censor: NDArray[np.int64],
    conf_type: str,
    z: float,
) -> SurvivalCurve:
    """One group's curve from its counts at each of its follow-up times (increasing).

    ``n_risk``, ``n_event`` and ``n_censor`` have one entry per time; ``z`` is the normal quantile
    :func:`remission.stats.confidence.check_conf` returns for ``conf_type`` and the level. Used by
    :func:`kaplan_meier` and by the partitioned estimator, which merges the same counts.
    """
    at_risk = n_risk.astype(np.float64)
    deaths = n_event.astype(np.float64)
    survival = np.cumprod(1.0 - deaths / at_risk, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Greenwood increments; a time where everyone at risk dies makes the variance infinite.
        increment = np.where(deaths > 0, deaths / (at_risk * (at_risk - deaths)), 0.0)
        std_err_log = np.sqrt(np.cumsum(increment))
        std_err = survival * std_err_log
    lower, upper = survival_limits(survival, std_err_log, conf_type, z)
    return SurvivalCurve(
        group=label,
        n=int(n_event.sum() + n_censor.sum()),
        events=int(n_event.sum()),
        time=time,
        n_risk=n_risk.astype(np.int64, copy=False),
        n_event=n_event,
        n_censor=n_censor,
        survival=survival,
        std_err=std_err,
        std_err_log=std_err_log,
        lower=lower,
        upper=upper,
        median=first_below_half(survival, time),
        median_lower=first_below_half(lower, time),
        median_upper=first_below_half(upper, time),
    )
