"""The Dask entry points on Dask's synchronous scheduler (no cluster): a Dask frame or a Parquet
dataset in, the in-memory estimators' numbers out (1e-10 relative), and refusals by name."""

from __future__ import annotations

from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from remission.errors import InputError
from remission.stats import cox_ph, cumulative_incidence, kaplan_meier
from remission.stats.partitioned.dask_engine import (
    cox_ph_dask,
    cumulative_incidence_dask,
    kaplan_meier_dask,
    read_cohort_dask,
)
from stats.partitioned_cases import assert_same_cox, assert_same_incidence, assert_same_km


@pytest.fixture
def cohort() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 500
    return pd.DataFrame(
        {
            "t": rng.integers(1, 60, n).astype(np.float64),
            "e": rng.integers(0, 2, n),
            "c": rng.integers(0, 3, n),
            "g": rng.choice([1, 2, 10], n),
            "x": rng.normal(size=n),
        }
    )


class TestSynchronousGraph:
    def test_kaplan_meier_from_a_dask_frame(self, cohort: pd.DataFrame) -> None:
        """Numeric group labels keep R's order (1, 2, 10) and the curves equal the in-memory ones."""
        progress: list[tuple[str, int, int]] = []
        frame = dd.from_pandas(cohort, npartitions=5)
        actual = kaplan_meier_dask(
            frame, time="t", event="e", group="g", progress=lambda *step: progress.append(step)
        )
        assert_same_km(actual, kaplan_meier(cohort["t"], cohort["e"], group=cohort["g"]))
        assert progress[-1] == ("counting", 5, 5)

    def test_incidence_and_cox_from_parquet(self, cohort: pd.DataFrame, tmp_path: Path) -> None:
        """A Parquet directory written by Dask gives the in-memory cumulative incidence and Cox fit."""
        dd.from_pandas(cohort, npartitions=3).to_parquet(tmp_path / "cohort")
        incidence = cumulative_incidence_dask(tmp_path / "cohort", time="t", cause="c", group="g")
        assert_same_incidence(incidence, cumulative_incidence(cohort["t"], cohort["c"], group=cohort["g"]))
        fit = cox_ph_dask(tmp_path / "cohort", time="t", event="e", covariates=["x"])
        assert_same_cox(fit, cox_ph(cohort["t"], cohort["e"], cohort[["x"]], ["x"]))

    def test_missing_values_are_refused_or_dropped(self, cohort: pd.DataFrame) -> None:
        """A missing time is refused with its count; with drop_missing the row is left out."""
        holed = cohort.assign(t=cohort["t"].where(cohort.index != 3))
        frame = dd.from_pandas(holed, npartitions=2)
        with pytest.raises(InputError, match="t: 1 value"):
            kaplan_meier_dask(frame, time="t", event="e")
        progress: list[tuple[str, int, int]] = []
        actual = kaplan_meier_dask(
            frame, time="t", event="e", drop_missing=True, progress=lambda *s: progress.append(s)
        )
        kept = holed.dropna()
        assert_same_km(actual, kaplan_meier(kept["t"], kept["e"]))
        assert ("dropped", 1, 1) in progress

    def test_bad_codes_and_paths_are_refused(self, cohort: pd.DataFrame, tmp_path: Path) -> None:
        """Event codes other than 0/1, a missing path and a missing column are input errors."""
        with pytest.raises(InputError, match="codes must be 0"):
            kaplan_meier_dask(dd.from_pandas(cohort, npartitions=2), time="t", event="c")
        with pytest.raises(InputError, match="does not exist"):
            read_cohort_dask(tmp_path / "nowhere", ["t"])
        with pytest.raises(InputError, match="weight"):
            read_cohort_dask(dd.from_pandas(cohort, npartitions=2), ["t", "weight"])

    def test_cox_with_a_zero_log_likelihood_is_refused_not_crashed(self) -> None:
        """One event alone in its risk set (log likelihood exactly 0): refused by name, as in memory."""
        alone = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0, 5.0], "e": [0, 0, 0, 0, 1], "x": [1.0, 2, 3, 4, 5]})
        with pytest.raises(InputError, match="'x' carry no information"):
            cox_ph_dask(dd.from_pandas(alone, npartitions=2), time="t", event="e", covariates=["x"])
