"""Per-partition sufficient statistics: counts per distinct time, and Cox's weighted sums per event time.

A partition is a pandas ``DataFrame`` holding some rows of the cohort. Nothing here depends on the
other partitions except, for Cox, the global grid of event times and the covariate means the
driver broadcasts. Every function also tallies the rows it refuses (a missing value, a negative
time, a code outside the declared set, an entry not before its time) so the driver can refuse the
whole input with totals, as the in-memory estimators do, instead of failing on one partition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

#: Column names of the count tables.
STRATUM, GROUP, TIME, CODE, COUNT, ENTRY = "stratum", "group", "time", "code", "count", "entry"
EXIT_KEYS = (STRATUM, GROUP, TIME, CODE)
ENTRY_KEYS = (STRATUM, GROUP, ENTRY)


@dataclass(frozen=True)
class Columns:
    """Which cohort columns hold what. ``code`` is the event (0/1) or the cause (0 = censored, 1..k).

    ``kind`` is ``"event"`` (codes 0 or 1) or ``"cause"`` (whole numbers >= 0). ``group``,
    ``strata`` and ``entry`` are optional; ``covariates`` are Cox's numeric columns.
    """

    time: str
    code: str
    kind: str = "event"
    group: str | None = None
    strata: str | None = None
    entry: str | None = None
    covariates: tuple[str, ...] = ()

    @property
    def used(self) -> list[str]:
        """Every column the analysis reads, in a fixed order, without repeats."""
        names = [self.time, self.code, self.group, self.strata, self.entry, *self.covariates]
        return list(dict.fromkeys(name for name in names if name is not None))


@dataclass(frozen=True)
class Problems:
    """Rows refused per (column, problem), and rows dropped for a missing value when asked to."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    dropped: int = 0

    def __add__(self, other: Problems) -> Problems:
        counts = dict(self.counts)
        for key, value in other.counts.items():
            counts[key] = counts.get(key, 0) + value
        return Problems(counts, self.dropped + other.dropped)


@dataclass(frozen=True)
class CountTable:
    """Counts of one partition (or of several, merged).

    ``exits``: one row per (stratum, group, time, code) with the number of rows ending follow-up
    there (``code`` 0 = censored). ``entries``: one row per (stratum, group, entry time) with the
    number of rows entering then (empty without late entry). Stratum and group hold the raw
    labels (0 when the analysis has none). ``rows`` counts the rows used.
    """

    exits: pd.DataFrame
    entries: pd.DataFrame
    rows: int
    problems: Problems


def checked_rows(frame: pd.DataFrame, columns: Columns, drop_missing: bool) -> tuple[pd.DataFrame, Problems]:
    """The usable rows of ``frame`` and a tally of the others.

    Missing values are refused, or dropped and counted when ``drop_missing`` (R's ``na.omit``).
    Rows with any other problem are refused (tallied), never dropped silently.
    """
    counts: dict[tuple[str, str], int] = {}

    def tally(name: str, problem: str, bad: NDArray[np.bool_]) -> None:
        number = int(bad.sum())
        if number:
            counts[(name, problem)] = counts.get((name, problem), 0) + number

    missing = np.zeros(len(frame), dtype=bool)
    for name in columns.used:
        values = frame[name]
        absent = values.isna().to_numpy().copy()
        if values.dtype.kind in "fc":
            absent |= ~np.isfinite(values.to_numpy(dtype=np.float64, na_value=np.nan))
        if not drop_missing:
            tally(name, "value(s) are missing or not finite", absent)
        missing |= absent
    dropped = int(missing.sum()) if drop_missing else 0
    kept = frame.loc[~missing]
    numeric = [columns.time, columns.code, *([columns.entry] if columns.entry else []), *columns.covariates]
    text = [name for name in numeric if kept[name].dtype.kind not in "biuf"]
    for name in text:
        tally(name, "value(s) are not numbers", pd.to_numeric(kept[name], errors="coerce").isna().to_numpy())
    if text:  # nothing more can be checked in columns that are not numbers
        return kept.iloc[0:0], Problems(counts, dropped)
    time = kept[columns.time].to_numpy(dtype=np.float64)
    tally(columns.time, "value(s) are negative", time < 0)
    code = kept[columns.code].to_numpy(dtype=np.float64)
    tally(columns.code, "must be whole numbers", code != np.round(code))
    if columns.kind == "event":
        tally(columns.code, "codes must be 0 (censored) or 1 (event)", (code != 0) & (code != 1))
    else:
        tally(columns.code, "codes must be 0 (censored) or a positive cause number", code < 0)
    if columns.entry is not None:
        entry = kept[columns.entry].to_numpy(dtype=np.float64)
        tally(columns.entry, "value(s) are negative", entry < 0)
        tally(
            columns.entry, "value(s) are not before the follow-up time (entry must be < time)", entry >= time
        )
    problems = Problems(counts, dropped)
    return (kept.iloc[0:0] if counts else kept), problems


def count_table(frame: pd.DataFrame, columns: Columns, drop_missing: bool = False) -> CountTable:
    """Counts of exits per (stratum, group, time, code) and entries per (stratum, group, entry)."""
    rows, problems = checked_rows(frame, columns, drop_missing)
    keys = pd.DataFrame(
        {
            STRATUM: _labels(rows, columns.strata),
            GROUP: _labels(rows, columns.group),
            TIME: rows[columns.time].to_numpy(dtype=np.float64),
            CODE: rows[columns.code].to_numpy(dtype=np.float64).astype(np.int64),
        }
    )
    exits = _tally(keys, list(EXIT_KEYS))
    if columns.entry is None:
        entries = _tally(pd.DataFrame({STRATUM: [], GROUP: [], ENTRY: []}), list(ENTRY_KEYS))
    else:
        starts = keys[[STRATUM, GROUP]].assign(**{ENTRY: rows[columns.entry].to_numpy(dtype=np.float64)})
        entries = _tally(starts, list(ENTRY_KEYS))
    return CountTable(exits, entries, len(rows), problems)


def _labels(rows: pd.DataFrame, name: str | None) -> NDArray[np.generic]:
    if name is None:
        return np.zeros(len(rows), dtype=np.int64)
    return rows[name].to_numpy()


def _tally(keys: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    counted = keys.groupby(by, sort=True, dropna=False).size()
    return counted.rename(COUNT).reset_index()


# --- Cox ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoxScan:
    """What the driver needs before the Newton steps: sizes, covariate sums, strata, event times.

    ``event_times`` has one row per (stratum label, event time) with an event in the partition and
    the number of events there (column ``count``).
    """

    rows: int
    events: int
    x_sum: NDArray[np.float64]
    strata: pd.DataFrame  # column "stratum": the distinct stratum labels of the partition
    event_times: pd.DataFrame  # columns "stratum", "time", "count"
    problems: Problems


def cox_scan(frame: pd.DataFrame, columns: Columns, drop_missing: bool = False) -> CoxScan:
    """First pass of Cox: row and event counts, covariate sums, distinct strata and event times."""
    rows, problems = checked_rows(frame, columns, drop_missing)
    x = rows[list(columns.covariates)].to_numpy(dtype=np.float64).reshape(len(rows), len(columns.covariates))
    stratum = _labels(rows, columns.strata)
    event = rows[columns.code].to_numpy(dtype=np.float64) == 1
    times = pd.DataFrame(
        {STRATUM: stratum[event], TIME: rows[columns.time].to_numpy(dtype=np.float64)[event]}
    )
    return CoxScan(
        rows=len(rows),
        events=int(event.sum()),
        x_sum=x.sum(axis=0),
        strata=pd.DataFrame({STRATUM: pd.unique(stratum)}),
        event_times=_tally(times, [STRATUM, TIME]),
        problems=problems,
    )


@dataclass(frozen=True)
class EventGrid:
    """The distinct event times of every stratum, concatenated: stratum ``s`` owns
    ``times[offsets[s]:offsets[s + 1]]`` (increasing). ``strata`` are the stratum labels in code order.
    """

    strata: NDArray[np.generic]
    times: NDArray[np.float64]
    offsets: NDArray[np.intp]

    @property
    def size(self) -> int:
        return int(self.times.size)


@dataclass(frozen=True)
class CoxPartition:
    """One partition prepared for a Newton step (where the partition lives; not kept between steps).

    ``x`` are the centred covariates; ``exit_slot``/``entry_slot`` the grid slot each row's stop and
    entry time falls in (the last event time of its stratum at or before it; -1 when none), so
    a row belongs to the risk set of every slot up to its exit slot of its stratum and leaves those
    up to its entry slot. ``event_slot`` is the slot of each event row.
    """

    x: NDArray[np.float64]
    exit_slot: NDArray[np.intp]
    entry_slot: NDArray[np.intp] | None
    event_rows: NDArray[np.intp]
    event_slot: NDArray[np.intp]
    grid_size: int


def cox_partition(
    frame: pd.DataFrame,
    columns: Columns,
    grid: EventGrid,
    means: NDArray[np.float64],
    drop_missing: bool = False,
) -> CoxPartition:
    """Centre the covariates and place every row on the event-time grid (rows already checked by the scan)."""
    rows, _ = checked_rows(frame, columns, drop_missing)
    n = len(rows)
    x = rows[list(columns.covariates)].to_numpy(dtype=np.float64).reshape(n, len(columns.covariates)) - means
    stratum = _labels(rows, columns.strata)
    code = pd.Index(grid.strata).get_indexer(stratum) if columns.strata is not None else np.zeros(n, np.intp)
    time = rows[columns.time].to_numpy(dtype=np.float64)

    def slot(values: NDArray[np.float64]) -> NDArray[np.intp]:
        out = np.full(n, -1, dtype=np.intp)
        for s in range(grid.strata.size):
            inside = code == s
            lo, hi = grid.offsets[s], grid.offsets[s + 1]
            found = np.searchsorted(grid.times[lo:hi], values[inside], side="right") - 1
            out[inside] = np.where(found >= 0, found + lo, -1)
        return out

    exit_slot = slot(time)
    entry_slot = slot(rows[columns.entry].to_numpy(dtype=np.float64)) if columns.entry is not None else None
    event_rows = np.flatnonzero(rows[columns.code].to_numpy(dtype=np.float64) == 1)
    return CoxPartition(x, exit_slot, entry_slot, event_rows, exit_slot[event_rows], grid.size)


@dataclass(frozen=True)
class CoxSums:
    """Per grid slot, sums of ``(w, w·x, w·x_j x_k for j <= k)`` with ``w = exp(x β)``.

    ``exits`` over rows whose exit slot is the slot, ``entries`` over rows whose entry slot is,
    ``dying`` over the event rows at the slot; ``event_eta`` is Σ xβ over event rows. Shapes
    ``(grid, 1 + p + p(p+1)/2)``; merging adds them.
    """

    exits: NDArray[np.float64]
    entries: NDArray[np.float64]
    dying: NDArray[np.float64]
    event_eta: float

    def __add__(self, other: CoxSums) -> CoxSums:
        return CoxSums(
            self.exits + other.exits,
            self.entries + other.entries,
            self.dying + other.dying,
            self.event_eta + other.event_eta,
        )


def cox_sums(part: CoxPartition, beta: NDArray[np.float64]) -> CoxSums:
    """One Newton step's contribution of one partition (O(rows · q) work, O(grid · q) result).

    The ``q`` summed quantities are formed one at a time (one row-length array, not a rows × q
    matrix: 8 bytes a row at a time instead of 8 q).
    """
    x = part.x
    p = x.shape[1]
    upper = np.triu_indices(p)
    width = 1 + p + upper[0].size
    exits = np.empty((part.grid_size, width))
    entries = np.zeros_like(exits)
    dying = np.empty_like(exits)
    with np.errstate(over="ignore", invalid="ignore"):
        eta = x @ beta
        weight = np.exp(eta)
        for column in range(width):
            if column == 0:
                values = weight
            elif column <= p:
                values = x[:, column - 1] * weight
            else:
                pair = column - 1 - p
                values = x[:, upper[0][pair]] * x[:, upper[1][pair]] * weight
            exits[:, column] = _by_slot(part.exit_slot, values, part.grid_size)
            if part.entry_slot is not None:
                entries[:, column] = _by_slot(part.entry_slot, values, part.grid_size)
            dying[:, column] = _by_slot(part.event_slot, values[part.event_rows], part.grid_size)
    return CoxSums(exits, entries, dying, float(eta[part.event_rows].sum()))


def _by_slot(slots: NDArray[np.intp], values: NDArray[np.float64], size: int) -> NDArray[np.float64]:
    """Sums of ``values`` per grid slot; slot -1 (before the stratum's first event time) is dropped."""
    # asarray only re-types (bincount with weights is float64; its stubs say int): no copy is made.
    return np.asarray(np.bincount(slots + 1, weights=values, minlength=size + 1)[1:], dtype=np.float64)


def largest_predictor(part: CoxPartition, beta: NDArray[np.float64]) -> float:
    """The largest ``x β`` of the partition (``-inf`` when empty): R's overflow check."""
    return float(np.max(part.x @ beta)) if part.x.shape[0] else float("-inf")


def cox_sums_of_rows(
    frame: pd.DataFrame,
    columns: Columns,
    grid: EventGrid,
    means: NDArray[np.float64],
    drop_missing: bool,
    beta: NDArray[np.float64],
) -> CoxSums:
    """:func:`cox_sums` of the partition's rows, prepared for this step only (nothing is kept)."""
    return cox_sums(cox_partition(frame, columns, grid, means, drop_missing), beta)


def largest_predictor_of_rows(
    frame: pd.DataFrame,
    columns: Columns,
    grid: EventGrid,
    means: NDArray[np.float64],
    drop_missing: bool,
    beta: NDArray[np.float64],
) -> float:
    """:func:`largest_predictor` of the partition's rows, prepared for this call only."""
    return largest_predictor(cox_partition(frame, columns, grid, means, drop_missing), beta)
