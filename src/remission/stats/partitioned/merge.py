"""Combining per-partition statistics: counts and sums add up per key (stratum, group, time, code).

Merging is associative and commutative, so partitions can be merged in any order or in a tree;
the merged tables are sorted by their keys, which puts the times of each stratum and group in
increasing order, as the in-memory estimators have them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

import numpy as np
import pandas as pd

from remission.stats.partitioned.sufficient import (
    COUNT,
    ENTRY_KEYS,
    EXIT_KEYS,
    STRATUM,
    TIME,
    CountTable,
    CoxScan,
    CoxSums,
    Problems,
)


def merge_counts(tables: Sequence[CountTable]) -> CountTable:
    """The count table of the union of the partitions."""
    return CountTable(
        exits=_added([table.exits for table in tables], list(EXIT_KEYS)),
        entries=_added([table.entries for table in tables], list(ENTRY_KEYS)),
        rows=sum(table.rows for table in tables),
        problems=reduce(Problems.__add__, (table.problems for table in tables), Problems()),
    )


def merge_scans(scans: Sequence[CoxScan]) -> CoxScan:
    """Cox's first pass over the union of the partitions."""
    strata = pd.concat([scan.strata for scan in scans], ignore_index=True).drop_duplicates()
    return CoxScan(
        rows=sum(scan.rows for scan in scans),
        events=sum(scan.events for scan in scans),
        x_sum=np.sum([scan.x_sum for scan in scans], axis=0),
        strata=strata.reset_index(drop=True),
        event_times=_added([scan.event_times for scan in scans], [STRATUM, TIME]),
        problems=reduce(Problems.__add__, (scan.problems for scan in scans), Problems()),
    )


def merge_sums(sums: Sequence[CoxSums]) -> CoxSums:
    """One Newton step's sums over the union of the partitions."""
    return reduce(CoxSums.__add__, sums)


def _added(frames: Sequence[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    nonempty = [frame for frame in frames if len(frame)]
    if not nonempty:
        return frames[0].iloc[0:0] if frames else pd.DataFrame(columns=[*keys, COUNT])
    combined = pd.concat(nonempty, ignore_index=True)
    return combined.groupby(keys, sort=True, dropna=False)[COUNT].sum().reset_index()
