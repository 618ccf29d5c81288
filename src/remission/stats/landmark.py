"""Landmark analysis: survival from a landmark time among subjects still event-free and followed then.

Convention (as ``dynpred::cutLM`` and the usual landmark method, Anderson, Cain & Gelber 1983):
a subject is kept when ``time > landmark_time`` — still under follow-up and event-free just after
the landmark. Subjects with an event or censoring at or before the landmark are excluded (a
subject censored exactly at the landmark adds no follow-up after it; one with an event exactly at
the landmark had it before the landmark-based comparison starts). Time is then measured from the
landmark (``time - landmark_time``) and groups are compared by Kaplan–Meier curves and the log-rank
test. The grouping should be known at the landmark (e.g. response status at the landmark), which
is what removes the guarantee-time bias of comparing responders with non-responders from time 0.

References: Anderson, Cain & Gelber (1983), J Clin Oncol 1:710–719; Dafni (2011), Circ Cardiovasc
Qual Outcomes 4:363–371.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from remission.stats.inputs import as_events, as_groups, as_times, refuse
from remission.stats.kaplan_meier import KaplanMeierResult, kaplan_meier
from remission.stats.results import Result, Table


@dataclass(frozen=True)
class LandmarkResult(Result):
    """Kaplan–Meier curves and log-rank test from the landmark, with who was excluded.

    ``included`` and ``excluded`` count subjects per group label (all groups of the input, in R's
    factor order, including groups with no one left at the landmark).
    """

    landmark_time: float
    fit: KaplanMeierResult
    included: tuple[tuple[str, int], ...]
    excluded: tuple[tuple[str, int], ...]

    @property
    def n_excluded(self) -> int:
        """Subjects with an event or censoring at or before the landmark."""
        return sum(count for _, count in self.excluded)

    def to_dict(self, at: ArrayLike | None = None) -> dict[str, Any]:
        """The Kaplan–Meier dict (times ``at`` measured from the landmark) plus the landmark counts."""
        output = self.fit.to_dict(at)
        output["landmark_time"] = self.landmark_time
        output["excluded"] = self.n_excluded
        output["counts"] = [
            {"group": label, "included": kept, "excluded": dropped}
            for (label, kept), (_, dropped) in zip(self.included, self.excluded, strict=True)
        ]
        return output

    def tables(self, at: ArrayLike | None = None) -> Sequence[Table]:
        counts = Table(
            f"Landmark at {self.landmark_time:g}",
            ("group", "included", "excluded"),
            tuple(
                (label, kept, dropped)
                for (label, kept), (_, dropped) in zip(self.included, self.excluded, strict=True)
            ),
            "Excluded: event or censoring at or before the landmark. Times below are from the landmark.",
        )
        return (counts, *self.fit.tables(at))


def landmark(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike | None = None,
    *,
    landmark_time: float,
    conf_type: str = "log",
    conf_level: float = 0.95,
) -> LandmarkResult:
    """Kaplan–Meier per group and log-rank test among subjects with ``time > landmark_time``.

    ``time`` is follow-up from the origin (e.g. diagnosis), ``event`` 1 = event / 0 = censored,
    ``group`` the labels known at the landmark; returned curves use time since the landmark.
    Matches R run on ``subset(data, time > L)`` with ``time - L``.
    """
    times = as_times(time, "time")
    events = as_events(event, times.size, "event")
    groups = as_groups(group, times.size, "group")
    try:
        cut = float(landmark_time)
    except (TypeError, ValueError):
        raise refuse("landmark_time", f"must be a number, got {landmark_time!r}") from None
    if not math.isfinite(cut) or cut < 0:
        raise refuse("landmark_time", f"must be a finite time >= 0, got {landmark_time!r}")
    kept = times > cut
    if not np.any(kept):
        raise refuse("landmark_time", f"no subject is still event-free and followed after {cut:g}")
    kept_groups = None if group is None else np.asarray(group, dtype=object)[kept]
    fit = kaplan_meier(
        times[kept] - cut, events[kept], group=kept_groups, conf_type=conf_type, conf_level=conf_level
    )
    size = groups.count
    included = np.bincount(groups.codes[kept], minlength=size)
    excluded = np.bincount(groups.codes[~kept], minlength=size)
    return LandmarkResult(
        landmark_time=cut,
        fit=fit,
        included=tuple(zip(groups.labels, (int(c) for c in included), strict=True)),
        excluded=tuple(zip(groups.labels, (int(c) for c in excluded), strict=True)),
    )
