"""Screening a partitioned Parquet cohort on a Dask cluster, one partition per task.

Each task reads one partition (a Parquet file, or one row group of a single file), validates it
with :func:`remission.rules.columnar.cohort_from_table`, screens it against every trial with
:func:`remission.trials.cohort_matching.screen_cohort_for_trials` (the in-memory path's
vectorised matcher), writes its verdict rows, and hands back only small sums. Records never
meet in the driver, so the driver's memory does not grow with the cohort; a worker holds one
partition and one trial's result at a time.

The verdicts equal the in-memory path's: the same rows, and read in file-name order
(``pyarrow.parquet.read_table(out)``) the same order — trial by trial in the given order,
then record by record in partition order (files sorted by path; row groups in order). The
summary per trial is the in-memory :meth:`TrialCohortResult.summary`: counts and sums merge
exactly, and the missing-field counts cover the same first rows needing review.
"""

from __future__ import annotations

import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from distributed import Client, as_completed

from remission.errors import FieldProblem, InputError
from remission.rules.columnar import VERDICTS, cohort_from_table
from remission.trials.cohort_matching import (
    MISSING_SAMPLE,
    TrialCohortResult,
    rows_needing_review,
    screen_cohort_for_trials,
    summary_of,
    verdict_table,
)
from remission.trials.model import Trial


@dataclass(frozen=True, slots=True)
class Partition:
    """One unit of work: a Parquet file, or some of its row groups (``None``: the whole file)."""

    index: int
    path: str
    row_groups: tuple[int, ...] | None = None

    @property
    def label(self) -> str:
        groups = "" if self.row_groups is None else f" row group {self.row_groups[0]}"
        return f"{self.path}{groups}"


@dataclass(frozen=True, slots=True)
class TrialSums:
    """What one partition sends back for one trial: verdict counts and per-criterion sums."""

    verdicts: tuple[int, ...]
    failing: np.ndarray
    unknown: np.ndarray
    needing_review: int


@dataclass(frozen=True, slots=True)
class MissingSample:
    """The missing fields of a partition's first rows needing review, for one trial.

    ``lists`` are the distinct lists in the order first seen; ``codes`` index them, one per row.
    """

    lists: tuple[tuple[str, ...], ...]
    codes: np.ndarray


@dataclass(frozen=True, slots=True)
class PartitionDone:
    """A screened partition: its row count and per-trial sums, or the problems that refused it."""

    partition: Partition
    records: int
    trials: tuple[TrialSums, ...]
    #: the problems of a refused partition (an InputError's problems: it does not survive pickling)
    problems: tuple[FieldProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class PartitionedScreening:
    """The cohort's screening: records, partitions, the per-trial summaries, and where verdicts went."""

    records: int
    partitions: int
    summaries: list[dict[str, Any]]
    verdict_rows: int
    out: Path | None


def cohort_partitions(source: Path) -> list[Partition]:
    """The partitions of ``source``: each ``*.parquet`` file of a directory (sorted, recursively),
    or each row group of a single file.

    Raises :class:`InputError` (naming ``--cohort``) when there is nothing to read.
    """
    if source.is_dir():
        files = sorted(p for p in source.rglob("*.parquet") if p.is_file())
        if not files:
            raise InputError("--cohort", [FieldProblem(str(source), "the directory holds no .parquet file")])
        return [Partition(i, str(path)) for i, path in enumerate(files)]
    if not source.is_file():
        raise InputError("--cohort", [FieldProblem(str(source), "no such file or directory")])
    try:
        groups = pq.ParquetFile(source).num_row_groups
    except (OSError, pa.ArrowInvalid) as error:
        raise InputError("--cohort", [FieldProblem(str(source), str(error))]) from None
    if groups == 0:
        return [Partition(0, str(source))]
    return [Partition(i, str(source), (i,)) for i in range(groups)]


def _read(partition: Partition) -> pa.Table:
    if partition.row_groups is None:
        return pq.read_table(partition.path)
    return pq.ParquetFile(partition.path).read_row_groups(list(partition.row_groups))


def part_name(trial_index: int, partition_index: int) -> str:
    """The file of one trial's verdicts for one partition; names sort trial first, then partition."""
    return f"part-{trial_index:04d}-{partition_index:06d}.parquet"


def screen_partition(
    partition: Partition, trials: Sequence[Trial], *, as_of: date, out: str | None
) -> PartitionDone:
    """Screen one partition against every trial (runs on a worker); write its verdicts into ``out``."""
    try:
        table = _read(partition)
        cohort = cohort_from_table(table, source=partition.label, today=as_of)
    except InputError as error:
        return PartitionDone(partition, 0, (), _located(partition, error.problems))
    except (OSError, pa.ArrowInvalid) as error:
        return PartitionDone(partition, 0, (), _located(partition, [FieldProblem("(file)", str(error))]))
    sums = []
    for trial_index, trial in enumerate(trials):
        # One trial at a time, so a worker holds one result beside the partition.
        (result,) = screen_cohort_for_trials(cohort, [trial], as_of=as_of)
        if out is not None:
            pq.write_table(verdict_table([result]), Path(out) / part_name(trial_index, partition.index))
        sums.append(_sums(result))
    return PartitionDone(partition, len(cohort), tuple(sums))


def _located(partition: Partition, problems: Iterable[FieldProblem]) -> tuple[FieldProblem, ...]:
    """Problems with the partition named in each field (rows are counted within the partition)."""
    return tuple(FieldProblem(f"{partition.label}: {p.field}", p.problem) for p in problems)


def _sums(result: TrialCohortResult) -> TrialSums:
    screening = result.screening
    return TrialSums(
        verdicts=tuple(int(c) for c in np.bincount(screening.verdict, minlength=len(VERDICTS))),
        failing=screening.failing.sum(axis=0),
        unknown=screening.unknown.sum(axis=0),
        needing_review=int(np.count_nonzero(np.any(screening.unknown, axis=1))),
    )


def missing_sample(
    partition: Partition, trials: Sequence[Trial], *, as_of: date, rows: Sequence[int]
) -> tuple[MissingSample | None, ...]:
    """The missing fields of the first ``rows[t]`` rows needing review for trial ``t`` (runs on a worker).

    A second pass over the few partitions that hold the summary's sample: listing missing
    fields is per-row work, so the first pass leaves it out.
    """
    cohort = cohort_from_table(_read(partition), source=partition.label, today=as_of)
    found: list[MissingSample | None] = []
    for trial, limit in zip(trials, rows, strict=True):
        if limit == 0:
            found.append(None)
            continue
        (result,) = screen_cohort_for_trials(cohort, [trial], as_of=as_of)
        screening = result.screening
        lists: dict[tuple[str, ...], int] = {}
        codes = [
            lists.setdefault(tuple(screening.missing_paths(row)), len(lists))
            for row in rows_needing_review(screening, limit=limit)
        ]
        found.append(MissingSample(tuple(lists), np.asarray(codes, dtype=np.int64)))
    return tuple(found)


class _Merged:
    """The running merge of partitions' sums for one trial, in partition order."""

    def __init__(self, trial: Trial, criteria: int) -> None:
        self.trial = trial
        self.records = 0
        self.verdicts = np.zeros(len(VERDICTS), dtype=np.int64)
        self.failing = np.zeros(criteria, dtype=np.int64)
        self.unknown = np.zeros(criteria, dtype=np.int64)
        self.missing: Counter[str] = Counter()

    def add(self, records: int, sums: TrialSums) -> None:
        self.records += records
        self.verdicts += np.asarray(sums.verdicts)
        self.failing += sums.failing
        self.unknown += sums.unknown

    def add_missing(self, sample: MissingSample) -> None:
        # Lists in the order first seen, so ties in most_common() fall as in the in-memory Counter.
        for code, count in enumerate(np.bincount(sample.codes, minlength=len(sample.lists))):
            for path in sample.lists[code] if count else ():
                self.missing[path] += int(count)

    def summary(self, criterion_ids: Sequence[str]) -> dict[str, Any]:
        verdicts = {name: int(n) for name, n in zip(VERDICTS, self.verdicts, strict=True)}
        return summary_of(
            self.trial,
            records=self.records,
            verdicts=verdicts,
            criterion_ids=criterion_ids,
            failing=self.failing,
            unknown=self.unknown,
            missing=self.missing,
        )


def screen_partitioned_cohort(
    client: Client,
    source: Path,
    trials: Sequence[Trial],
    *,
    as_of: date,
    out: Path | None,
    progress: Callable[[int, int, PartitionDone], None] | None = None,
    sample: int = MISSING_SAMPLE,
) -> PartitionedScreening:
    """Screen every partition of ``source`` on ``client``'s cluster; write verdicts to the directory ``out``.

    ``out`` (a new directory, on a file system every worker can write) receives one Parquet
    file per trial and partition (:func:`part_name`). It is written under a temporary name and
    renamed when every partition succeeded, so a refused cohort leaves nothing behind.
    ``sample`` bounds the rows needing review whose missing fields the summary counts, as
    :meth:`TrialCohortResult.summary` does. Raises :class:`InputError` with every refused
    partition's problems.
    """
    partitions = cohort_partitions(source)
    staging = None if out is None else out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    if staging is not None:
        staging.mkdir()
    try:
        done = _run(client, partitions, trials, as_of=as_of, staging=staging, progress=progress)
        if staging is not None and out is not None:
            staging.rename(out)
    finally:
        if staging is not None and staging.exists():
            shutil.rmtree(staging)
    return _merge(client, done, trials, out, as_of=as_of, sample=sample)


def _run(
    client: Client,
    partitions: Sequence[Partition],
    trials: Sequence[Trial],
    *,
    as_of: date,
    staging: Path | None,
    progress: Callable[[int, int, PartitionDone], None] | None,
) -> list[PartitionDone]:
    # hash=False: a key of its own, so another client scattering the same trials cannot release ours.
    [shared] = client.scatter([list(trials)], broadcast=True, hash=False)
    futures = [
        client.submit(
            screen_partition,
            partition,
            shared,
            as_of=as_of,
            out=None if staging is None else str(staging),
            key=f"screen-partition-{uuid.uuid4().hex}",
            pure=False,
        )
        for partition in partitions
    ]
    done: list[PartitionDone] = []
    failed: BaseException | None = None
    # Every task runs to its end before anything is raised, so none writes after the cleanup.
    for count, future in enumerate(as_completed(futures), start=1):
        if future.status == "error":
            failed = failed or future.exception()
            continue
        finished: PartitionDone = future.result()
        future.release()
        done.append(finished)
        if progress is not None:
            progress(count, len(partitions), finished)
    if failed is not None:
        raise failed
    problems = [p for item in sorted(done, key=lambda d: d.partition.index) for p in item.problems]
    if problems:
        raise InputError("--cohort", problems)
    return done


def _merge(
    client: Client,
    done: Sequence[PartitionDone],
    trials: Sequence[Trial],
    out: Path | None,
    *,
    as_of: date,
    sample: int,
) -> PartitionedScreening:
    from remission.trials.cohort import flat_criteria

    ids = [tuple(c.criterion_id for c in flat_criteria(trial).criteria) for trial in trials]
    merged = [_Merged(trial, len(criteria)) for trial, criteria in zip(trials, ids, strict=True)]
    ordered = sorted(done, key=lambda d: d.partition.index)
    for item in ordered:
        for trial_merge, sums in zip(merged, item.trials, strict=True):
            trial_merge.add(item.records, sums)
    for samples in _missing_samples(client, ordered, trials, as_of=as_of, sample=sample):
        for trial_merge, found in zip(merged, samples, strict=True):
            if found is not None:
                trial_merge.add_missing(found)
    records = sum(item.records for item in done)
    return PartitionedScreening(
        records=records,
        partitions=len(done),
        summaries=[m.summary(criteria) for m, criteria in zip(merged, ids, strict=True)],
        verdict_rows=records * len(trials),
        out=out,
    )


def _missing_samples(
    client: Client, ordered: Sequence[PartitionDone], trials: Sequence[Trial], *, as_of: date, sample: int
) -> list[tuple[MissingSample | None, ...]]:
    """The summary's sample — the first ``sample`` rows needing review, per trial — from the
    partitions that hold it, in partition order."""
    left = [sample] * len(trials)
    wanted: list[tuple[Partition, list[int]]] = []
    for item in ordered:
        rows = [min(left[t], sums.needing_review) for t, sums in enumerate(item.trials)]
        left = [a - b for a, b in zip(left, rows, strict=True)]
        if any(rows):
            wanted.append((item.partition, rows))
    futures = [
        client.submit(missing_sample, partition, list(trials), as_of=as_of, rows=rows, pure=False)
        for partition, rows in wanted
    ]
    return list(client.gather(futures))
