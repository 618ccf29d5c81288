"""The benchmark's data, generated partition by partition on the workers (never whole in one process).

Two partitioned Parquet datasets with the same number of rows:

* ``stats/``: follow-up in whole days (``time_days``, int32), ``event`` (0 censored, 1 event),
  ``cause`` (0 censored, 1 relapse, 2 death in remission), ``group`` (0, 1, 2; group 1 with a
  lower hazard and group 2 with a higher one) and five numeric covariates ``x1``..``x5``
  (``x1`` acts on the hazard);
* ``cohort/``: screening records in the cohort layout of ``docs/cohorts.md``, drawn by
  ``benchmarks/cohort_bench/synthetic.py`` (the existing screening benchmark's generator), each
  partition with its own seed and study ids ``P<partition>-<row>``.

The in-memory size reported for each is what a one-process analysis would hold: the stats
columns as NumPy arrays (int64 for the integer columns and float64 for the rest, as an
in-memory analysis passes them), and the cohort as its Arrow table.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cohort_bench.synthetic import synthetic_table

from remission.rules.columnar.cohort import (
    Cohort,
    write_cohort,
)

COVARIATES = ("x1", "x2", "x3", "x4", "x5")
#: NumPy bytes per stats row in memory: time, event, cause, group (8 bytes each) and five floats.
STATS_NUMPY_BYTES_PER_ROW = 8 * (4 + len(COVARIATES))


def write_stats_partition(folder: str, index: int, rows: int, seed: int) -> int:
    """One partition of the survival data; returns the NumPy bytes it would take in memory."""
    rng = np.random.default_rng([seed, index])
    group = rng.integers(0, 3, rows)
    x = rng.normal(0.0, 1.0, (rows, len(COVARIATES)))
    hazard = np.array([1.0, 0.7, 1.4])[group] * np.exp(0.3 * x[:, 0]) / 1500.0
    relapse = rng.exponential(1.0 / (0.6 * hazard))
    death = rng.exponential(1.0 / (0.4 * hazard))
    censor = rng.uniform(30.0, 3650.0, rows)
    first = np.minimum(np.minimum(relapse, death), censor)
    # Whole days, at least one: registry follow-up is recorded by date.
    time = np.maximum(np.ceil(first), 1).astype(np.int32)
    cause = np.where(first == censor, 0, np.where(relapse < death, 1, 2)).astype(np.int8)
    columns = {
        "time_days": pa.array(time),
        "event": pa.array((cause > 0).astype(np.int8)),
        "cause": pa.array(cause),
        "group": pa.array(group.astype(np.int8)),
    }
    columns.update({name: pa.array(x[:, j]) for j, name in enumerate(COVARIATES)})
    pq.write_table(pa.table(columns), Path(folder) / f"part-{index:05d}.parquet", compression="zstd")
    return rows * STATS_NUMPY_BYTES_PER_ROW


def write_cohort_partition(
    folder: str, index: int, rows: int, seed: int, as_of: date, attestable: list
) -> int:
    """One partition of screening records; returns its Arrow table's bytes."""
    table = synthetic_table(rows, as_of, seed + index, attestable)
    ids = pa.array([f"P{index:05d}-{row:07d}" for row in range(rows)], pa.string())
    table = table.set_column(table.schema.get_field_index("patient.study_id"), "patient.study_id", ids)
    write_cohort(Cohort(table), Path(folder) / f"part-{index:05d}.parquet")
    return int(table.nbytes)
