"""``remission analyze ... --engine dask``: the estimators over a partitioned Parquet dataset on Dask.

Without ``--scheduler`` a ``LocalCluster`` sized to the machine (one worker process per core) is
started for the command and closed after it; with ``--scheduler tcp://HOST:PORT`` the command runs
on that cluster (an unreachable address exits with status 2, naming it). Progress goes to stderr.
Dask is imported only when this engine runs, so ``remission --help`` stays fast.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.text import Text

from remission.errors import FieldProblem, InputError

if TYPE_CHECKING:
    from distributed import Client

    from remission.stats.cumulative_incidence import CumulativeIncidenceResult
    from remission.stats.kaplan_meier import KaplanMeierResult
    from remission.stats.regression import RegressionResult

ENGINES = ("memory", "dask")
Result = TypeVar("Result")
err = Console(stderr=True, soft_wrap=True, highlight=False)


def dask_engine(engine: str, scheduler: str | None, unsupported: Mapping[str, object]) -> DaskEngine | None:
    """The Dask engine for ``--engine dask``, None for ``memory``; refuses an unknown engine,
    ``--scheduler`` without Dask, and options the Dask engine does not take (``unsupported``: option →
    its value, set when given)."""
    if engine not in ENGINES:
        raise _option_error("--engine", f"must be one of {list(ENGINES)}, got {engine!r}")
    if engine != "dask":
        if scheduler is not None:
            raise _option_error("--scheduler", "needs --engine dask")
        return None
    for option, value in unsupported.items():
        if value:
            raise _option_error(option, "is not available with --engine dask; run it in memory")
    return DaskEngine(scheduler)


@dataclass(frozen=True, slots=True)
class DaskEngine:
    """The estimators of ``remission analyze`` on Dask, on the cluster at ``scheduler`` (None: local)."""

    scheduler: str | None

    def kaplan_meier(
        self,
        data: Path,
        time: str,
        event: str,
        group: str | None,
        entry: str | None,
        strata: str | None,
        conf_type: str,
        conf_level: float,
    ) -> KaplanMeierResult:
        """Kaplan–Meier (and the log-rank test, stratified with ``--strata``) on Dask."""
        from remission.stats.partitioned.dask_engine import kaplan_meier_dask, logrank_dask

        def run(client: Any, progress: Any) -> KaplanMeierResult:
            common = {
                "time": time,
                "event": event,
                "client": client,
                "progress": progress,
                "drop_missing": True,
            }
            fit = kaplan_meier_dask(
                data, group=group, entry=entry, conf_type=conf_type, conf_level=conf_level, **common
            )
            if strata and group and len(fit.curves) > 1:
                test = logrank_dask(data, group=group, strata=strata, **common)
                fit = dataclasses.replace(fit, compare=lambda: test)
            return fit

        roles = {"--time": time, "--event": event, "--group": group, "--entry": entry, "--strata": strata}
        return run_on_dask(data, self.scheduler, roles, run)

    def cumulative_incidence(
        self,
        data: Path,
        time: str,
        cause: str,
        group: str | None,
        strata: str | None,
        declared: Sequence[float] | None,
    ) -> CumulativeIncidenceResult:
        """Cumulative incidence (and Gray's test, stratified with ``--strata``) on Dask."""
        from remission.stats.partitioned.dask_engine import cumulative_incidence_dask, gray_test_dask

        def run(client: Any, progress: Any) -> CumulativeIncidenceResult:
            common = {
                "time": time,
                "cause": cause,
                "client": client,
                "progress": progress,
                "drop_missing": True,
            }
            result = cumulative_incidence_dask(data, group=group, **common)
            if declared is not None:
                outside = sorted(set(result.causes) - {int(code) for code in declared})
                if outside:
                    raise InputError(
                        str(data),
                        [FieldProblem(f"--cause {cause}", f"codes {outside} are not among --causes")],
                    )
            if strata and group and result.gray_test is not None:
                test = gray_test_dask(data, group=group, strata=strata, **common)
                result = dataclasses.replace(result, gray_test=test)
            return result

        return run_on_dask(
            data,
            self.scheduler,
            {"--time": time, "--cause": cause, "--group": group, "--strata": strata},
            run,
        )

    def cox(
        self,
        data: Path,
        time: str,
        event: str,
        numeric: Sequence[str],
        entry: str | None,
        strata: str | None,
        ties: str,
    ) -> RegressionResult:
        """Cox regression on Dask (numeric covariates; Newton steps merge per-event-time sums)."""
        from remission.stats.partitioned.dask_engine import cox_ph_dask

        if not numeric:
            raise _option_error("--covariates", "names no column: the model needs at least one term")

        def run(client: Any, progress: Any) -> RegressionResult:
            return cox_ph_dask(
                data,
                time=time,
                event=event,
                covariates=numeric,
                ties=ties,
                entry=entry,
                strata=strata,
                client=client,
                progress=progress,
                drop_missing=True,
            )

        roles = {"--time": time, "--event": event, "--entry": entry, "--strata": strata}
        return run_on_dask(data, self.scheduler, roles, run)


def run_on_dask(
    data: Path,
    scheduler: str | None,
    columns: Mapping[str, str | None],
    run: Callable[[Client, Callable[[str, int, int], None]], Result],
) -> Result:
    """``run(client, progress)`` on a cluster, with a progress bar on stderr.

    ``columns`` maps each estimator argument to the option and column it came from (``"time"`` →
    ``"--time futime"``), so refusals name what the user typed.
    """
    from remission.cli.dask_cluster import dask_client

    source = str(data)
    if scheduler is None:
        err.print(Text("note: starting a local Dask cluster (one worker process per core)"))
    with dask_client(scheduler) as client, _bar() as progress, _renamed(source, columns):
        return run(client, progress)
    raise AssertionError("unreachable")  # pragma: no cover - the with block returns or raises


@contextmanager
def _bar() -> Iterator[Callable[[str, int, int], None]]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage == "dropped":
                err.print(Text(f"note: dropped {done} rows with a missing value, as R's na.omit"))
                return
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.update(tasks[stage], completed=done, description=f"{stage}" if total else f"{stage}: {done}")

        yield progress


@contextmanager
def _renamed(source: str, columns: Mapping[str, str | None]) -> Iterator[None]:
    """Re-raise the engine's errors naming the option and column (``--time futime``)."""
    from remission.stats.inputs import SOURCE

    try:
        yield
    except InputError as error:
        if error.source != SOURCE:
            raise
        named = {}
        for option, column in columns.items():
            if column is not None:
                named[column] = f"{option} {column}"
                named[option.removeprefix("--")] = f"{option} {column}"
        problems = [FieldProblem(named.get(p.field, p.field), p.problem) for p in error.problems]
        raise InputError(source, problems) from None


def _option_error(option: str, problem: str) -> InputError:
    return InputError("command line", [FieldProblem(option, problem)])
