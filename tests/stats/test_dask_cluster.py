"""The Dask engine on a real cluster: a ``distributed.LocalCluster`` with two worker processes.

A partitioned Parquet dataset (written with pyarrow: several files, one partition without events,
one holding a single group, whole-day ties across files) is analysed on the cluster and compared
with the in-memory estimators on the same rows, every number to 1e-10 relative; the CLI runs with
``--engine dask --scheduler <the cluster's address>``. The cluster starts once for the module and
is closed after it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster

from remission.cli.dask_cluster import dask_client
from remission.errors import InputError
from remission.stats import cox_ph, cumulative_incidence, kaplan_meier
from remission.stats.gray_test import gray_test
from remission.stats.logrank import logrank_test
from remission.stats.partitioned.dask_engine import (
    cox_ph_dask,
    cumulative_incidence_dask,
    gray_test_dask,
    kaplan_meier_dask,
    logrank_dask,
)
from stats.partitioned_cases import (
    assert_same_cox,
    assert_same_gray,
    assert_same_incidence,
    assert_same_km,
    assert_same_logrank,
)
from support.analyze_cli import analyze

pytestmark = pytest.mark.dask
Dataset = tuple[Path, pd.DataFrame]


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as connected,
    ):
        yield connected


def cohort(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    time = rng.integers(1, 200, rows).astype(np.float64)
    return pd.DataFrame(
        {
            "days": time,
            "died": rng.integers(0, 2, rows),
            "cause": rng.integers(0, 3, rows),
            "arm": rng.choice(["A", "B", "C"], rows),
            "site": rng.integers(1, 4, rows),
            "age": np.round(rng.normal(8, 4, rows), 1),
            "mrd": rng.integers(0, 2, rows).astype(np.float64),
            "entered": np.floor(time * rng.uniform(0, 0.5, rows)),
        }
    )


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """Five Parquet files: three random, one without events, one holding only arm B."""
    folder = tmp_path_factory.mktemp("cohort") / "dataset"
    folder.mkdir()
    parts = [cohort(400, 1), cohort(250, 2), cohort(300, 3)]
    parts.append(cohort(60, 4).assign(died=0, cause=0))
    parts.append(cohort(80, 5).assign(arm="B"))
    for index, part in enumerate(parts):
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), folder / f"part-{index:02d}.parquet")
    return folder, pd.concat(parts, ignore_index=True)


class TestEstimatorsOnCluster:
    def test_kaplan_meier_and_logrank(self, client: Client, dataset: Dataset) -> None:
        """Curves per arm and the log-rank test equal the in-memory ones."""
        folder, c = dataset
        actual = kaplan_meier_dask(folder, time="days", event="died", group="arm", client=client)
        assert_same_km(actual, kaplan_meier(c["days"], c["died"], group=c["arm"]))

    def test_kaplan_meier_late_entry(self, client: Client, dataset: Dataset) -> None:
        """Late-entry curves equal the in-memory ones."""
        folder, c = dataset
        actual = kaplan_meier_dask(
            folder, time="days", event="died", group="arm", entry="entered", client=client
        )
        assert_same_km(actual, kaplan_meier(c["days"], c["died"], group=c["arm"], entry=c["entered"]))

    def test_stratified_logrank(self, client: Client, dataset: Dataset) -> None:
        """The stratified Peto–Peto test equals the in-memory one."""
        folder, c = dataset
        actual = logrank_dask(
            folder, time="days", event="died", group="arm", strata="site", rho=1, client=client
        )
        assert_same_logrank(actual, logrank_test(c["days"], c["died"], c["arm"], strata=c["site"], rho=1))

    def test_cumulative_incidence(self, client: Client, dataset: Dataset) -> None:
        """Aalen–Johansen curves, cmprsk variances and Gray's test equal the in-memory ones."""
        folder, c = dataset
        actual = cumulative_incidence_dask(folder, time="days", cause="cause", group="arm", client=client)
        assert_same_incidence(actual, cumulative_incidence(c["days"], c["cause"], group=c["arm"]))

    def test_stratified_gray(self, client: Client, dataset: Dataset) -> None:
        """Gray's test within sites equals the in-memory one."""
        folder, c = dataset
        actual = gray_test_dask(folder, time="days", cause="cause", group="arm", strata="site", client=client)
        assert_same_gray(actual, gray_test(c["days"], c["cause"], c["arm"], strata=c["site"]))

    @pytest.mark.parametrize("ties", ["efron", "breslow"])
    def test_cox(self, client: Client, dataset: Dataset, ties: str) -> None:
        """Cox with late entry and strata equals the in-memory fit (coefficients, covariance, tests)."""
        folder, c = dataset
        actual = cox_ph_dask(
            folder,
            time="days",
            event="died",
            covariates=["age", "mrd"],
            ties=ties,
            entry="entered",
            strata="site",
            client=client,
        )
        expected = cox_ph(
            c["days"],
            c["died"],
            c[["age", "mrd"]],
            ["age", "mrd"],
            ties=ties,
            entry=c["entered"],
            strata=c["site"],
        )
        assert dict(expected.details)["warning"] is None
        assert_same_cox(actual, expected)

    def test_missing_column_is_refused(self, client: Client, dataset: Dataset) -> None:
        """A column the dataset lacks is an input error naming it."""
        folder, _ = dataset
        with pytest.raises(InputError, match="weight"):
            kaplan_meier_dask(folder, time="weight", event="died", client=client)

    def test_unreachable_scheduler_names_the_address(self) -> None:
        """Connecting to a port nobody listens on is an input error naming the option and address."""
        with (
            pytest.raises(InputError, match=r"(?s)--scheduler.*tcp://127\.0\.0\.1:9") as raised,
            dask_client("tcp://127.0.0.1:9"),
        ):
            pass
        assert "ConnectionRefusedError" in str(raised.value)

    def test_malformed_scheduler_address_is_refused(self) -> None:
        """An address without a port is refused by name, not passed on to Dask."""
        with (
            pytest.raises(InputError, match=r"(?s)tcp://localhost.*not a scheduler address") as raised,
            dask_client("tcp://localhost"),
        ):
            pass
        assert raised.value.source == "--scheduler"


class TestCommandLine:
    def test_km_on_the_cluster_equals_in_memory(
        self, client: Client, dataset: Dataset, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``analyze km --engine dask --scheduler ADDRESS`` prints the in-memory command's numbers."""
        folder, c = dataset
        whole = tmp_path / "whole.parquet"
        c.to_parquet(whole, index=False)
        options = ["--time", "days", "--event", "died", "--group", "arm", "--at", "30,90,180", "--json"]
        address = client.scheduler.address
        code, out, err = analyze(
            capsys, "km", "--data", str(folder), *options, "--engine", "dask", "--scheduler", address
        )
        assert code == 0, err
        code, expected, err = analyze(capsys, "km", "--data", str(whole), *options)
        assert code == 0, err
        mine, theirs = json.loads(out), json.loads(expected)
        assert mine.keys() == theirs.keys()
        np.testing.assert_allclose(
            [point["survival"] for group in mine["groups"] for point in group["at"]],
            [point["survival"] for group in theirs["groups"] for point in group["at"]],
            rtol=1e-10,
        )
        assert [g["median"] for g in mine["groups"]] == [g["median"] for g in theirs["groups"]]
        np.testing.assert_allclose(mine["logrank"]["statistic"], theirs["logrank"]["statistic"], rtol=1e-10)

    def test_cox_on_the_cluster(
        self, client: Client, dataset: Dataset, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``analyze cox --engine dask`` fits on the cluster and prints the in-memory coefficients."""
        folder, c = dataset
        options = ["--time", "days", "--event", "died", "--covariates", "age,mrd", "--json"]
        address = client.scheduler.address
        code, out, err = analyze(
            capsys, "cox", "--data", str(folder), *options, "--engine", "dask", "--scheduler", address
        )
        assert code == 0, err
        expected = cox_ph(c["days"], c["died"], c[["age", "mrd"]], ["age", "mrd"])
        coefficients = [term["coef"] for term in json.loads(out)["coefficients"]]
        np.testing.assert_allclose(coefficients, expected.coef, rtol=1e-10)

    def test_unreachable_scheduler_exits_2(
        self, dataset: Dataset, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An unreachable ``--scheduler`` exits with status 2: one line naming the option and address.

        The port is refused by the TCP check before Dask's 10 s handshake timeout starts.
        """
        folder, _ = dataset
        options = ["--time", "days", "--event", "died", "--engine", "dask"]
        code, out, err = analyze(
            capsys, "km", "--data", str(folder), *options, "--scheduler", "tcp://127.0.0.1:9"
        )
        assert code == 2
        assert out == ""
        # The command line's error form: the source, then one line for the one problem.
        heading, problem = err.strip().splitlines()
        assert heading == "error in --scheduler:"
        assert problem.strip().startswith("tcp://127.0.0.1:9: cannot reach a Dask scheduler there")
