"""Ages in completed calendar units for many (birth, reference) date pairs at once.

The same convention as :func:`remission.record.age`: months and years are completed
calendar units, and a month anniversary that does not exist (31 April, 29 February in a
common year) falls on the last day of that month.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from remission.record.ages import AgeUnit
from remission.rules.columnar.arrays import EPOCH


def _parts(days: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Calendar year, month (1-12) and day (1-31) of days since 1970-01-01."""
    moments = EPOCH + days.astype("timedelta64[D]")
    months = moments.astype("datetime64[M]")
    years = moments.astype("datetime64[Y]")
    year = years.astype(np.int64) + 1970
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (moments - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def _month_length(days: NDArray[np.int64]) -> NDArray[np.int64]:
    """Number of days in the calendar month of each date."""
    months = (EPOCH + days.astype("timedelta64[D]")).astype("datetime64[M]")
    lengths: NDArray[np.int64] = (
        (months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")
    ).astype(np.int64)
    return lengths


def ages(born: NDArray[np.int64], on: NDArray[np.int64], unit: AgeUnit) -> NDArray[np.int64]:
    """Age on ``on`` in completed ``unit`` for each pair (days since 1970-01-01).

    Pairs with ``on`` before ``born`` give meaningless numbers; callers mask them as unknown.
    """
    if unit is AgeUnit.DAYS:
        return on - born
    born_year, born_month, born_day = _parts(born)
    on_year, on_month, on_day = _parts(on)
    months = (on_year - born_year) * 12 + (on_month - born_month)
    # The anniversary in on's month is born_day clamped to that month's length; before it, one less.
    anniversary = np.minimum(born_day, _month_length(on))
    months = months - (anniversary > on_day)
    return months if unit is AgeUnit.MONTHS else months // 12
