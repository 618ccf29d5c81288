"""Cumulative incidence of competing events (Aalen–Johansen), as R's ``cmprsk::cuminc`` gives it.

For every group and cause the estimate is F(t) = sum over event times s <= t of S(s-) d_c(s) / n(s),
with S the Kaplan–Meier estimate of being free of any event, d_c(s) the events of cause c at s and
n(s) the number at risk. The variance is cmprsk's own delta-method estimate (Gray's cinc routine),
not a Greenwood/Aalen one, and tied events contribute with the hypergeometric factor
1 - (d - 1) / (n - 1). Curves keep cmprsk's step layout: time 0, then every jump time twice (value
before, value after), then the group's largest follow-up time.

References: Kalbfleisch & Prentice (2002) §8.2; Gray (1988) Ann. Stat. 16:1141–1154; R package
``cmprsk`` (Gray), functions ``cuminc`` and ``timepoints``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from remission.stats._cause_codes import as_cause_codes, cause_columns, observed_causes
from remission.stats._risk_table import count_by_time
from remission.stats.gray_test import GrayTestResult, gray_rows
from remission.stats.inputs import as_groups, as_times, refuse
from remission.stats.results import Result, Table, json_number


@dataclass(frozen=True, eq=False)
class IncidenceCurve:
    """One cumulative incidence curve in ``cmprsk::cuminc``'s layout.

    ``time``, ``estimate`` and ``variance`` have length 2 m + 2 for m distinct event times of this
    cause in this group: (0, 0), then each event time twice (before and after the jump), then the
    group's largest follow-up time carrying the last value. Times are in the input's unit.
    """

    group: str
    cause: int
    time: NDArray[np.float64]
    estimate: NDArray[np.float64]
    variance: NDArray[np.float64]

    @property
    def standard_error(self) -> NDArray[np.float64]:
        """Square root of :attr:`variance`, point by point (the report's "estimate ± SE")."""
        return np.sqrt(self.variance)

    def at(self, times: ArrayLike) -> list[dict[str, float | None]]:
        """Estimate and variance at each requested time, as ``cmprsk::timepoints``.

        The value at t is the right-continuous step value (jumps at t count). Times after the
        group's largest follow-up time (or before 0) give ``None`` (R's NA). Results keep the
        order of ``times``.
        """
        points = _as_points(times)
        index = _timepoint_index(self.time, points)
        found = index >= 0
        safe = np.where(found, index, 0)
        estimate = np.where(found, self.estimate[safe], np.nan)
        variance = np.where(found, self.variance[safe], np.nan)
        return [
            {"time": float(t), "estimate": json_number(e), "variance": json_number(v)}
            for t, e, v in zip(points, estimate, variance, strict=True)
        ]

    def event_times(self) -> NDArray[np.float64]:
        """The distinct times of the curve's layout (0, the jump times, the last follow-up)."""
        return np.unique(self.time)


@dataclass(frozen=True, eq=False)
class CumulativeIncidenceResult(Result):
    """Cumulative incidence for every group × cause, plus Gray's test when there are groups.

    ``curves`` are ordered as cmprsk orders them: by cause, then by group (R factor order).
    ``subjects`` and ``events`` count per group (``events[g][c]`` for ``causes[c]``).
    """

    groups: tuple[str, ...]
    causes: tuple[int, ...]
    curves: tuple[IncidenceCurve, ...]
    subjects: tuple[int, ...]
    events: tuple[tuple[int, ...], ...]
    gray_test: GrayTestResult | None = None

    def curve(self, group: str, cause: int) -> IncidenceCurve:
        """The curve of one group and cause; unknown ones raise ``KeyError``."""
        for candidate in self.curves:
            if candidate.group == group and candidate.cause == cause:
                return candidate
        raise KeyError((group, cause))

    def at(self, times: ArrayLike) -> list[dict[str, Any]]:
        """Every curve at ``times`` (see :meth:`IncidenceCurve.at`)."""
        return [{"group": curve.group, "cause": curve.cause, "at": curve.at(times)} for curve in self.curves]

    def to_dict(self, at: ArrayLike | None = None) -> dict[str, Any]:
        """``{"groups": [{"group", "cause", "at": [{"time", "estimate", "variance"}]}], "gray_test": [...]}``.

        Without ``at`` each curve is given at its own distinct times (0, jumps, last follow-up).
        ``"gray_test"`` (one row per cause) is present when there is more than one group.
        """
        if at is None:
            groups = [
                {"group": curve.group, "cause": curve.cause, "at": curve.at(curve.event_times())}
                for curve in self.curves
            ]
        else:
            groups = self.at(at)
        result: dict[str, Any] = {"groups": groups}
        if self.gray_test is not None:
            result["gray_test"] = self.gray_test.test_rows()
        return result

    def tables(self, at: ArrayLike | None = None) -> Sequence[Table]:
        """A summary per group × cause (or the curves at ``at``), then Gray's test if present."""
        tables: list[Table] = [self._summary() if at is None else self._at_table(at)]
        if self.gray_test is not None:
            tables.extend(self.gray_test.tables())
        return tuple(tables)

    def _summary(self) -> Table:
        rows = []
        for curve in self.curves:
            g = self.groups.index(curve.group)
            c = self.causes.index(curve.cause)
            rows.append(
                (
                    curve.group,
                    curve.cause,
                    self.subjects[g],
                    self.events[g][c],
                    float(curve.time[-1]),
                    float(curve.estimate[-1]),
                    float(curve.standard_error[-1]),
                )
            )
        return Table(
            title="Cumulative incidence (Aalen–Johansen)",
            columns=("group", "cause", "n", "events", "last time", "estimate", "SE"),
            rows=tuple(rows),
            note="Estimate and SE at the group's last follow-up time; variance as R cmprsk::cuminc.",
        )

    def _at_table(self, at: ArrayLike) -> Table:
        rows = []
        for curve in self.curves:
            for point in curve.at(at):
                variance = point["variance"]
                se = None if variance is None else float(np.sqrt(variance))
                rows.append((curve.group, curve.cause, point["time"], point["estimate"], se))
        return Table(
            title="Cumulative incidence (Aalen–Johansen)",
            columns=("group", "cause", "time", "estimate", "SE"),
            rows=tuple(rows),
            note="NA: after the group's last follow-up time.",
        )


def cumulative_incidence(
    time: ArrayLike, cause: ArrayLike, *, group: ArrayLike | None = None
) -> CumulativeIncidenceResult:
    """Cumulative incidence curves per group and cause, matching ``cmprsk::cuminc``.

    ``time``: follow-up times (>= 0, any unit). ``cause``: 0 = censored, 1..k = cause of the event
    (cmprsk's ``fstatus`` with ``cencode = 0``). ``group``: optional labels; groups are ordered as
    R's ``factor`` orders them. Only causes with at least one event are estimated. With more than
    one group the result carries Gray's test (``rho = 0``, no strata).
    """
    times = as_times(time, "time")
    codes = as_cause_codes(cause, times.size, "cause")
    groups = as_groups(group, times.size, "group")
    causes = observed_causes(codes, "cause")
    # Column 0 counts censorings, column 1 + j the events of causes[j].
    column = cause_columns(codes, causes)

    # One table of counts per (distinct time, group, column), shared by the curves and the test.
    width = len(causes) + 1
    table = count_by_time(times, groups.codes * width + column, groups.count * width)
    counts = table.counts.reshape(table.time.size, groups.count, width)
    by_group: list[list[IncidenceCurve]] = []
    subjects: list[int] = []
    events: list[tuple[int, ...]] = []
    for g, label in enumerate(groups.labels):
        own = counts[:, g, :]
        leaving = own.sum(axis=1)
        rows = np.flatnonzero(leaving)  # the group's own distinct times
        at_risk = np.cumsum(leaving[::-1])[::-1][rows].astype(np.float64)
        own_events = own[rows, 1:]
        group_times = table.time[rows]
        by_group.append(
            [
                incidence_curve(label, cause_code, group_times, at_risk, own_events, j)
                for j, cause_code in enumerate(causes)
            ]
        )
        subjects.append(int(leaving.sum()))
        events.append(tuple(int(total) for total in own_events.sum(axis=0)))
    curves = tuple(by_group[g][j] for j in range(len(causes)) for g in range(groups.count))
    test = None
    if groups.count > 1:
        # Gray's test (rho = 0, no strata) from the same counts; groups named by label, as the curves.
        rows_of_test = gray_rows([counts], causes, groups.count, 0.0)
        test = GrayTestResult(rows=rows_of_test, groups=groups.labels, rho=0.0, strata=1)
    return CumulativeIncidenceResult(
        groups=groups.labels,
        causes=causes,
        curves=curves,
        subjects=tuple(subjects),
        events=tuple(events),
        gray_test=test,
    )


def incidence_curve(
    group: str,
    cause: int,
    times: NDArray[np.float64],
    at_risk_all: NDArray[np.float64],
    events: NDArray[np.int64],
    j: int,
) -> IncidenceCurve:
    """One curve from the group's distinct times, number at risk and per-time event counts
    (``events[:, j]`` is this cause).
    """
    all_events = events.sum(axis=1)
    keep = all_events > 0  # times with only censorings change nothing but the risk set
    at_risk = at_risk_all[keep]
    d_all = all_events[keep]
    d_cause = events[keep, j]
    d_other = d_all - d_cause
    survival = np.cumprod((at_risk - d_all) / at_risk)  # event-free KM just after each time
    before = np.concatenate(([1.0], survival[:-1]))  # ... and just before it
    incidence = np.cumsum(before * d_cause / at_risk)

    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = np.where(survival > 0, 1.0 / survival, 0.0)
        # Tied events enter with the hypergeometric factor 1 - (d - 1) / (n - 1).
        tie_other = np.where(d_other > 1, 1.0 - (d_other - 1.0) / (at_risk - 1.0), 1.0)
        tie_cause = np.where(d_cause > 1, 1.0 - (d_cause - 1.0) / (at_risk - 1.0), 1.0)
    base = before * before / (at_risk * at_risk)
    # Other causes add nothing once nobody is left event-free (cmprsk skips them there).
    w_other = np.where((d_other > 0) & (survival > 0), base * tie_other * d_other, 0.0)
    w_cause = base * tie_cause * d_cause
    b_other = incidence * inverse
    b_cause = 1.0 + inverse * incidence
    v1 = np.cumsum(b_other * b_other * w_other + b_cause * b_cause * w_cause)
    v2 = np.cumsum(inverse * b_other * w_other + inverse * b_cause * w_cause)
    v3 = np.cumsum(inverse * inverse * (w_other + w_cause))
    variance = v1 + incidence * incidence * v3 - 2.0 * incidence * v2

    jumps = d_cause > 0
    jump_time = times[keep][jumps]
    jump_value = incidence[jumps]
    jump_variance = variance[jumps]
    last_time = times[-1]
    return IncidenceCurve(
        group=group,
        cause=cause,
        time=_frozen(np.concatenate(([0.0], np.repeat(jump_time, 2), [last_time]))),
        estimate=_frozen(_step_layout(jump_value)),
        variance=_frozen(_step_layout(jump_variance)),
    )


def _step_layout(after: NDArray[np.float64]) -> NDArray[np.float64]:
    """0, then (value before, value after) per jump, then the last value again."""
    before = np.concatenate(([0.0], after))[:-1]
    pairs = np.column_stack((before, after)).ravel()
    last = after[-1:] if after.size else np.zeros(1)
    return np.concatenate(([0.0], pairs, last))


def _frozen(values: NDArray[np.float64]) -> NDArray[np.float64]:
    values.setflags(write=False)
    return values


def _as_points(times: ArrayLike | Iterable[float]) -> NDArray[np.float64]:
    try:
        points = np.atleast_1d(np.asarray(times, dtype=np.float64))
    except (TypeError, ValueError) as error:
        raise refuse("at", f"must be numbers ({error})") from None
    if points.ndim != 1:
        raise refuse("at", f"must be one-dimensional, got shape {points.shape}")
    if not np.all(np.isfinite(points)):
        raise refuse("at", "values must be finite times")
    return points


def _timepoint_index(layout_time: NDArray[np.float64], points: NDArray[np.float64]) -> NDArray[np.intp]:
    """Index into the layout for each time, -1 for NA (cmprsk ``timepoints`` rule).

    The value at t sits right after the last layout point (other than the final one) at or before t;
    exactly at the final time it is the final value; after it, NA.
    """
    last = layout_time.size - 1
    count = np.searchsorted(layout_time[:-1], points, side="right")
    index = np.where(count > 0, count, -1)
    index = np.where(points == layout_time[-1], last, index)
    return np.where(points > layout_time[-1], -1, index).astype(np.intp)
