"""Run the partitioned estimators on Dask: a partitioned Parquet dataset in, the in-memory result objects out.

Each partition's sufficient statistics are computed where the partition lives (a Dask task per
partition) and merged on the driver (:mod:`.merge`); the driver finishes (:mod:`.finish`). Cox
sends β out at each Newton step; each partition is read and prepared again where it lives and
returns per-event-time sums, merged in a tree on the workers, so no partition stays in memory
between steps (see ``docs/scaling.md``).

Entry points (stable names; ``source`` is a Parquet file or directory, or a ``dask.dataframe``):

* :func:`kaplan_meier_dask`, :func:`logrank_dask`, :func:`cumulative_incidence_dask`,
  :func:`gray_test_dask`, :func:`cox_ph_dask`;
* :func:`read_cohort_dask` (the columns, checked).

``client`` is a ``distributed.Client`` of the caller's (the command line makes one with
:func:`remission.cli.dask_cluster.dask_client`).

``client=None`` runs on Dask's synchronous scheduler in this process (tests, small data).
``progress(stage, done, total)`` is called as partitions (or Newton steps) complete.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from remission.stats.inputs import refuse
from remission.stats.partitioned import finish, merge, sufficient
from remission.stats.partitioned.sufficient import Columns

if TYPE_CHECKING:
    import dask.dataframe as dd
    from distributed import Client

    from remission.stats.cumulative_incidence import CumulativeIncidenceResult
    from remission.stats.gray_test import GrayTestResult
    from remission.stats.kaplan_meier import KaplanMeierResult
    from remission.stats.logrank import LogrankResult
    from remission.stats.regression import RegressionResult

__all__ = [
    "Progress",
    "cox_ph_dask",
    "cumulative_incidence_dask",
    "gray_test_dask",
    "kaplan_meier_dask",
    "logrank_dask",
    "read_cohort_dask",
]

#: ``progress(stage, done, total)``: called as each partition (or Newton step) completes.
Progress = Callable[[str, int, int], None]
T = TypeVar("T")
R = TypeVar("R")


# --- clusters -------------------------------------------------------------------------------------


def _module(name: str) -> Any:
    """Dask's modules carry no type hints: they are used through ``Any``, imported on first use."""
    return importlib.import_module(name)


# --- reading --------------------------------------------------------------------------------------


def read_cohort_dask(source: str | Path | dd.DataFrame, columns: Sequence[str]) -> dd.DataFrame:
    """The ``columns`` of a Parquet file or directory (a partitioned dataset), or of a Dask frame.

    A missing path, an unreadable dataset or a missing column is an :class:`InputError`.
    """
    dataframes = _module("dask.dataframe")
    frame: Any
    if isinstance(source, dataframes.DataFrame):
        frame = source
    else:
        path = Path(source)
        if not path.exists():
            raise refuse("data", f"{path} does not exist")
        try:
            frame = dataframes.read_parquet(str(path))
        except Exception as error:  # pyarrow raises many types for a file that is not Parquet
            raise refuse("data", f"{path} is not a readable Parquet file or dataset ({error})") from None
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise refuse("columns", f"{missing} not in the data; columns are {list(frame.columns)}")
    selected: dd.DataFrame = frame[list(dict.fromkeys(columns))]
    return selected


# --- running tasks --------------------------------------------------------------------------------


class _Runner:
    """Maps a function over partitions on a client, or in this process with the synchronous scheduler."""

    def __init__(self, client: Client | None, progress: Progress | None) -> None:
        self.client: Any = client
        self.progress = progress

    def _tasks(self, frame: dd.DataFrame, function: Callable[..., Any], args: tuple[Any, ...]) -> list[Any]:
        delayed = _module("dask").delayed
        parts: Any = frame
        return [delayed(function)(part, *args) for part in parts.to_delayed()]

    def over_partitions(
        self, frame: dd.DataFrame, stage: str, function: Callable[..., T], *args: Any
    ) -> list[T]:
        """``function(partition, *args)`` for every partition, in partition order."""
        tasks = self._tasks(frame, function, args)
        if self.client is None:
            results: list[T] = []
            for done, task in enumerate(tasks, start=1):
                results.append(task.compute(scheduler="synchronous"))
                self._tell(stage, done, len(tasks))
            return results
        futures = self.client.compute(tasks)
        self._wait(futures, stage)
        return list(self.client.gather(futures))

    def reduce(
        self, frame: dd.DataFrame, function: Callable[..., R], combine: Callable[[R, R], R], *args: Any
    ) -> R:
        """``function(partition, *args)`` for every partition, combined pairwise where the results are
        computed; only the total comes back. Nothing stays in memory after the call."""
        tasks = self._tasks(frame, function, args)
        if self.client is None:
            total: R = tasks[0].compute(scheduler="synchronous")
            for task in tasks[1:]:
                total = combine(total, task.compute(scheduler="synchronous"))
            return total
        parts: list[Any] = self.client.compute(tasks)
        while len(parts) > 1:  # a tree of merges on the workers
            parts = [
                self.client.submit(combine, *parts[i : i + 2], pure=False) if i + 1 < len(parts) else parts[i]
                for i in range(0, len(parts), 2)
            ]
        result: R = self.client.gather(parts[0])
        return result

    def _wait(self, futures: list[Any], stage: str) -> None:
        as_completed = _module("distributed").as_completed
        for done, future in enumerate(as_completed(futures), start=1):
            if future.status == "error":
                future.result()  # raises the task's error here
            self._tell(stage, done, len(futures))

    def _tell(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)


def _counts(
    source: str | Path | dd.DataFrame,
    columns: Columns,
    client: Client | None,
    progress: Progress | None,
    drop_missing: bool,
) -> sufficient.CountTable:
    frame = read_cohort_dask(source, columns.used)
    tables = _Runner(client, progress).over_partitions(
        frame, "counting", sufficient.count_table, columns, drop_missing
    )
    table = merge.merge_counts(tables)
    finish.refuse_problems(table.problems, table.rows, columns.time)
    _report_dropped(progress, table.problems.dropped)
    return table


def _report_dropped(progress: Progress | None, dropped: int) -> None:
    if progress is not None and dropped:
        progress("dropped", dropped, dropped)


# --- the estimators -------------------------------------------------------------------------------


def kaplan_meier_dask(
    source: str | Path | dd.DataFrame,
    *,
    time: str,
    event: str,
    group: str | None = None,
    entry: str | None = None,
    conf_type: str = "log",
    conf_level: float = 0.95,
    client: Client | None = None,
    progress: Progress | None = None,
    drop_missing: bool = False,
) -> KaplanMeierResult:
    """:func:`remission.stats.kaplan_meier` over a partitioned dataset (columns named by the arguments).

    Rows missing a used value are refused, as in memory, or with ``drop_missing`` dropped (R's
    ``na.omit``; the count is reported through ``progress`` as the stage ``"dropped"``).
    """
    columns = Columns(time=time, code=event, kind="event", group=group, entry=entry)
    table = _counts(source, columns, client, progress, drop_missing)
    return finish.kaplan_meier_from_counts(
        table,
        grouped=group is not None,
        late_entry=entry is not None,
        conf_type=conf_type,
        conf_level=conf_level,
    )


def logrank_dask(
    source: str | Path | dd.DataFrame,
    *,
    time: str,
    event: str,
    group: str,
    strata: str | None = None,
    rho: float = 0.0,
    client: Client | None = None,
    progress: Progress | None = None,
    drop_missing: bool = False,
) -> LogrankResult:
    """:func:`remission.stats.logrank_test` over a partitioned dataset."""
    columns = Columns(time=time, code=event, kind="event", group=group, strata=strata)
    table = _counts(source, columns, client, progress, drop_missing)
    result = finish.logrank_from_counts(table, grouped=True, stratified=strata is not None, rho=float(rho))
    if result is None:
        raise refuse(
            "event", "no test is possible: fewer than two groups have subjects at risk at an event time"
        )
    return result


def cumulative_incidence_dask(
    source: str | Path | dd.DataFrame,
    *,
    time: str,
    cause: str,
    group: str | None = None,
    client: Client | None = None,
    progress: Progress | None = None,
    drop_missing: bool = False,
) -> CumulativeIncidenceResult:
    """:func:`remission.stats.cumulative_incidence` over a partitioned dataset (Gray's test for groups)."""
    columns = Columns(time=time, code=cause, kind="cause", group=group)
    table = _counts(source, columns, client, progress, drop_missing)
    return finish.cumulative_incidence_from_counts(table, grouped=group is not None)


def gray_test_dask(
    source: str | Path | dd.DataFrame,
    *,
    time: str,
    cause: str,
    group: str,
    strata: str | None = None,
    rho: float = 0.0,
    client: Client | None = None,
    progress: Progress | None = None,
    drop_missing: bool = False,
) -> GrayTestResult:
    """:func:`remission.stats.gray_test` over a partitioned dataset."""
    columns = Columns(time=time, code=cause, kind="cause", group=group, strata=strata)
    table = _counts(source, columns, client, progress, drop_missing)
    return finish.gray_test_from_counts(table, grouped=True, stratified=strata is not None, rho=float(rho))


def cox_ph_dask(
    source: str | Path | dd.DataFrame,
    *,
    time: str,
    event: str,
    covariates: Sequence[str],
    ties: str = "efron",
    entry: str | None = None,
    strata: str | None = None,
    client: Client | None = None,
    progress: Progress | None = None,
    drop_missing: bool = False,
) -> RegressionResult:
    """:func:`remission.stats.cox_ph` over a partitioned dataset; ``covariates`` are numeric columns.

    Pass 1 counts rows and events, sums the covariates (for centring) and collects the distinct
    event times per stratum; then each Newton step sends β, reads and prepares every partition
    again (out of core: memory follows the partition, not the cohort) and merges per-event-time
    sums of ``(w, w·x, w·xxᵀ)``.
    """
    from remission.stats.cox import TIES

    terms = tuple(str(name) for name in covariates)
    if not terms:
        raise refuse("covariates", "has no columns: the model needs at least one term")
    if len(set(terms)) != len(terms):
        raise refuse("covariates", "names a term more than once")
    if ties not in TIES:
        raise refuse("ties", f"must be one of {list(TIES)}, got {ties!r}")
    columns = Columns(time=time, code=event, kind="event", strata=strata, entry=entry, covariates=terms)
    frame = read_cohort_dask(source, columns.used)
    runner = _Runner(client, progress)
    scan = merge.merge_scans(
        runner.over_partitions(frame, "scanning", sufficient.cox_scan, columns, drop_missing)
    )
    finish.refuse_problems(scan.problems, scan.rows, time)
    _report_dropped(progress, scan.problems.dropped)
    if scan.events == 0:
        raise refuse(event, "has no events: the Cox model needs at least one")
    grid, layers, deaths = finish.event_grid(scan, strata is not None)
    means: NDArray[np.float64] = scan.x_sum / scan.rows
    prepare = (columns, grid, means, drop_missing)
    steps = 0

    def step(beta: NDArray[np.float64]) -> sufficient.CoxSums:
        nonlocal steps
        total = runner.reduce(frame, sufficient.cox_sums_of_rows, sufficient.CoxSums.__add__, *prepare, beta)
        steps += 1
        runner._tell("Newton steps", steps, 0)
        return total

    def largest(beta: NDArray[np.float64]) -> float:
        return runner.reduce(frame, sufficient.largest_predictor_of_rows, max, *prepare, beta)

    return finish.cox_fit(
        step,
        largest,
        scan,
        grid,
        deaths,
        terms=terms,
        ties=ties,
        strata=layers.count,
        late_entry=entry is not None,
    )
