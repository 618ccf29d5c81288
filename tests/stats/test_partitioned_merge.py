"""Differential tests: per-partition statistics, merged and finished, equal the in-memory estimators.

Random whole-day cohorts are cut into random partitions (one without events, one holding a single
group, one empty, ties spanning partitions); every number agrees to 1e-10 relative (see
``stats.partitioned_cases``). No Dask here: the partition functions run on pandas frames.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings

from remission.errors import InputError
from remission.stats import cox_ph, cumulative_incidence, kaplan_meier
from remission.stats.gray_test import gray_test
from remission.stats.logrank import logrank_test
from remission.stats.partitioned import finish, merge, sufficient
from remission.stats.partitioned.sufficient import Columns
from stats.partitioned_cases import (
    Split,
    assert_same_cox,
    assert_same_gray,
    assert_same_incidence,
    assert_same_km,
    assert_same_logrank,
    splits,
)

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def counts(split: Split, columns: Columns) -> sufficient.CountTable:
    table = merge.merge_counts([sufficient.count_table(part, columns) for part in split.parts])
    finish.refuse_problems(table.problems, table.rows, columns.time)
    return table


def both(in_memory: Callable[[], Any], partitioned: Callable[[], Any]) -> tuple[Any, Any]:
    """Both results, or both refusals: an input one path refuses the other refuses too.

    The in-memory Newton iteration divides by a log likelihood of exactly 0 (one event whose risk
    set is itself); the partitioned path runs the same iteration and fails the same way.
    """
    try:
        expected = in_memory()
    except (InputError, ZeroDivisionError) as refusal:
        with pytest.raises(type(refusal)):
            partitioned()
        return None, None
    return partitioned(), expected


def assume_well_posed(fit: Callable[[pd.DataFrame], Any], cohort: pd.DataFrame) -> None:
    """Discard cohorts where a covariate has (almost) no information.

    There the Cholesky pivot sits at the tolerance (ε^0.75 of the largest) and rounding decides
    whether the term is refused or gets a variance of 1e15: the in-memory path itself can fall
    either way when its rows are reordered. An exactly constant covariate is tested on its own.
    """
    for rows in (cohort, cohort.iloc[::-1]):
        try:
            result = fit(rows)
        except InputError as error:
            assume("carry no information" not in str(error))
            return
        except ZeroDivisionError:
            return
        covariance = result.covariance  # NaN marks a term aliased at the solution
        assume(bool(np.all(np.isfinite(covariance))) and np.linalg.cond(covariance) < 1e10)


def cox_partitioned(split: Split, columns: Columns, ties: str) -> Any:
    scan = merge.merge_scans([sufficient.cox_scan(part, columns) for part in split.parts])
    finish.refuse_problems(scan.problems, scan.rows, columns.time)
    if scan.events == 0:
        raise InputError("test", [])
    grid, layers, deaths = finish.event_grid(scan, columns.strata is not None)
    means = scan.x_sum / scan.rows
    prepared = [sufficient.cox_partition(part, columns, grid, means) for part in split.parts]

    def step(beta: np.ndarray) -> sufficient.CoxSums:
        return merge.merge_sums([sufficient.cox_sums(part, beta) for part in prepared])

    def largest(beta: np.ndarray) -> float:
        return max(sufficient.largest_predictor(part, beta) for part in prepared)

    return finish.cox_fit(
        step,
        largest,
        scan,
        grid,
        deaths,
        terms=columns.covariates,
        ties=ties,
        strata=layers.count,
        late_entry=columns.entry is not None,
    )


class TestCountsMerge:
    @SETTINGS
    @given(split=splits())
    def test_kaplan_meier_with_logrank(self, split: Split) -> None:
        """Curves, Greenwood errors, limits, medians and the attached log-rank test match."""
        c = split.cohort
        columns = Columns(time="time", code="event", group="arm")
        actual = finish.kaplan_meier_from_counts(counts(split, columns), grouped=True, late_entry=False)
        assert_same_km(actual, kaplan_meier(c["time"], c["event"], group=c["arm"]))

    @SETTINGS
    @given(split=splits())
    def test_kaplan_meier_late_entry(self, split: Split) -> None:
        """With late entry the numbers at risk subtract those not yet entered, across partitions."""
        c = split.cohort
        columns = Columns(time="time", code="event", group="arm", entry="entry")
        table = counts(split, columns)
        actual = finish.kaplan_meier_from_counts(table, grouped=True, late_entry=True, conf_type="log-log")
        expected = kaplan_meier(c["time"], c["event"], group=c["arm"], entry=c["entry"], conf_type="log-log")
        assert_same_km(actual, expected)

    @SETTINGS
    @given(split=splits())
    def test_stratified_peto_peto(self, split: Split) -> None:
        """The stratified G-rho test (rho = 1) matches, or both paths refuse."""
        c = split.cohort
        columns = Columns(time="time", code="event", group="arm", strata="site")
        actual, expected = both(
            lambda: logrank_test(c["time"], c["event"], c["arm"], strata=c["site"], rho=1.0),
            lambda: (
                finish.logrank_from_counts(counts(split, columns), grouped=True, stratified=True, rho=1.0)
                or (_ for _ in ()).throw(InputError("test", []))
            ),
        )
        if expected is not None:
            assert_same_logrank(actual, expected)

    @SETTINGS
    @given(split=splits())
    def test_cumulative_incidence_with_gray(self, split: Split) -> None:
        """cmprsk's curves, variances and Gray's test match, or both refuse (no events)."""
        c = split.cohort
        columns = Columns(time="time", code="cause", kind="cause", group="arm")
        actual, expected = both(
            lambda: cumulative_incidence(c["time"], c["cause"], group=c["arm"]),
            lambda: finish.cumulative_incidence_from_counts(counts(split, columns), grouped=True),
        )
        if expected is not None:
            assert_same_incidence(actual, expected)

    @SETTINGS
    @given(split=splits())
    def test_stratified_gray(self, split: Split) -> None:
        """Gray's test with strata and rho = 0.5 matches."""
        c = split.cohort
        columns = Columns(time="time", code="cause", kind="cause", group="arm", strata="site")
        actual, expected = both(
            lambda: gray_test(c["time"], c["cause"], c["arm"], strata=c["site"], rho=0.5),
            lambda: finish.gray_test_from_counts(
                counts(split, columns), grouped=True, stratified=True, rho=0.5
            ),
        )
        if expected is not None:
            assert_same_gray(actual, expected)


class TestCoxMerge:
    @SETTINGS
    @pytest.mark.parametrize("ties", ["efron", "breslow"])
    @given(split=splits())
    def test_cox(self, split: Split, ties: str) -> None:
        """Coefficients, covariance, likelihood, tests and warnings match, or both refuse."""
        c = split.cohort
        columns = Columns(time="time", code="event", covariates=("x", "z"))
        r = c.iloc[::-1]
        assume_well_posed(
            lambda rows: cox_ph(rows["time"], rows["event"], rows[["x", "z"]], ["x", "z"], ties=ties), c
        )
        actual, expected = both(
            lambda: cox_ph(c["time"], c["event"], c[["x", "z"]], ["x", "z"], ties=ties),
            lambda: cox_partitioned(split, columns, ties),
        )
        if expected is not None:
            reordered = cox_ph(r["time"], r["event"], r[["x", "z"]], ["x", "z"], ties=ties)
            assert_same_cox(actual, expected, reordered)

    @SETTINGS
    @given(split=splits())
    def test_cox_late_entry_and_strata(self, split: Split) -> None:
        """Late entry and strata: risk sets are per stratum and subtract rows not yet entered."""
        c = split.cohort
        columns = Columns(time="time", code="event", strata="site", entry="entry", covariates=("x", "z"))

        def fit(rows: Any) -> Any:
            return cox_ph(
                rows["time"],
                rows["event"],
                rows[["x", "z"]],
                ["x", "z"],
                entry=rows["entry"],
                strata=rows["site"],
            )

        assume_well_posed(fit, c)
        actual, expected = both(lambda: fit(c), lambda: cox_partitioned(split, columns, "efron"))
        if expected is not None:
            assert_same_cox(actual, expected, fit(c.iloc[::-1]))


class TestRefusals:
    def test_constant_covariate_is_refused_by_both_paths(self) -> None:
        """A covariate constant over the cohort carries no information: both paths refuse it."""
        cohort = pd.DataFrame({"time": [1.0, 2, 2, 3, 4, 5], "event": [1, 1, 0, 1, 0, 1], "x": [2.0] * 6})
        columns = Columns(time="time", code="event", covariates=("x",))
        with pytest.raises(InputError, match="carry no information"):
            cox_ph(cohort["time"], cohort["event"], cohort[["x"]], ["x"])
        split = Split(cohort, (cohort.iloc[:2], cohort.iloc[2:]))
        with pytest.raises(InputError, match="carry no information"):
            cox_partitioned(split, columns, "efron")

    def test_problems_are_totalled_over_partitions(self) -> None:
        """Missing and negative times in two partitions are refused once, with their total counts."""
        parts = [
            pd.DataFrame({"time": [-1.0, 2.0], "event": [1, 0]}),
            pd.DataFrame({"time": [-3.0, np.nan], "event": [0, 1]}),
        ]
        columns = Columns(time="time", code="event")
        table = merge.merge_counts([sufficient.count_table(part, columns) for part in parts])
        with pytest.raises(InputError) as caught:
            finish.refuse_problems(table.problems, table.rows, "time")
        assert [str(p) for p in caught.value.problems] == [
            "time: 1 value(s) are missing or not finite",
            "time: 2 value(s) are negative",
        ]
