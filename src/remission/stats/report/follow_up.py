"""Median follow-up by the reverse Kaplan–Meier method (Schemper & Smith, Control Clin Trials 1996).

The censoring of overall survival is estimated as if it were the event: a death censors the
follow-up, a last contact ends it. The median of that curve is the time by which half of the
patients would have been followed had none died; unlike the median of the observed times, it is
not shortened by early deaths. It is R's ``survfit(Surv(os_time_days, 1 - os_event) ~ 1)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from remission.stats.kaplan_meier import kaplan_meier
from remission.stats.report.definitions import enrolled
from remission.stats.report.formatting import NOT_ESTIMABLE


@dataclass(frozen=True)
class MedianFollowUp:
    """The median follow-up in days with its 95% limits (``None``: not reached or not estimable)."""

    patients: int
    median_days: float | None
    lower_days: float | None
    upper_days: float | None
    year_days: float

    @property
    def text(self) -> str:
        """``"3.1 years (95% CI 2.6–3.8), 52 patients"``, limits shown only where estimable."""
        if self.median_days is None:
            return f"{NOT_ESTIMABLE} (fewer than half of the {self.patients} patients have left follow-up)"
        years = self.median_days / self.year_days
        limits = [
            f"{value / self.year_days:.1f}" if value is not None else "not reached"
            for value in (self.lower_days, self.upper_days)
        ]
        return f"{years:.1f} years (95% CI {limits[0]}–{limits[1]}), {self.patients} patients"


def median_follow_up(frame: pd.DataFrame, *, year_days: float) -> MedianFollowUp | None:
    """The reverse Kaplan–Meier median of overall-survival follow-up among enrolled patients with
    a follow-up time; ``None`` when no such patient exists."""
    population = frame[enrolled(frame)]
    complete = population[population["os_time_days"].notna() & population["os_event"].notna()]
    if complete.empty:
        return None
    time = complete["os_time_days"].to_numpy(dtype=np.float64)
    censored = 1 - complete["os_event"].to_numpy(dtype=np.int64)
    (curve,) = kaplan_meier(time, censored).curves
    return MedianFollowUp(len(complete), curve.median, curve.median_lower, curve.median_upper, year_days)
