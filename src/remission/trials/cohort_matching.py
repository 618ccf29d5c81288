"""Screening a whole cohort against the registry's trials with the columnar engine.

Same meaning as :func:`remission.trials.match_trial` for each record (study entry is the
matching date; unknown attestations are listed, not refused), computed per trial over every
record at once by :func:`remission.rules.columnar.screen_cohort`. Every verdict keeps its
failing and unknown criteria and missing fields.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from remission.protocols.mrd_parameters import mrd_rules_from
from remission.rules.columnar import VERDICTS, Cohort, CohortScreening, screen_cohort
from remission.trials.cohort import flat_criteria
from remission.trials.model import Trial


@dataclass(frozen=True, slots=True)
class TrialCohortResult:
    """One trial screened over the cohort."""

    trial: Trial
    screening: CohortScreening

    def summary(self, top: int = 5, *, sample: int | None = None) -> dict[str, Any]:
        """Verdict counts and the criteria and fields most often failing or unknown.

        Missing fields are counted over the first ``sample`` rows needing review
        (default :data:`MISSING_SAMPLE`).
        """
        screening = self.screening
        missing: Counter[str] = Counter()
        limit = MISSING_SAMPLE if sample is None else sample
        for row in rows_needing_review(screening, limit=limit):
            missing.update(screening.missing_paths(row))
        return summary_of(
            self.trial,
            records=len(screening),
            verdicts=screening.verdict_counts(),
            criterion_ids=screening.criterion_ids,
            failing=screening.failing.sum(axis=0),
            unknown=screening.unknown.sum(axis=0),
            missing=missing,
            top=top,
        )


#: The summary counts missing fields over this many first rows needing review (a bounded sample).
MISSING_SAMPLE = 20_000


def summary_of(
    trial: Trial,
    *,
    records: int,
    verdicts: dict[str, int],
    criterion_ids: Sequence[str],
    failing: Any,
    unknown: Any,
    missing: Counter[str],
    top: int = 5,
) -> dict[str, Any]:
    """A trial's summary from its counts: per-criterion failing and unknown sums, missing-field counts."""
    ids = list(criterion_ids)
    return {
        "trial": trial.id,
        "acronym": trial.acronym,
        "status": trial.status.overall.value if trial.status else None,
        "records": records,
        "verdicts": verdicts,
        "most_failing": _top(ids, failing, top),
        "most_unknown": _top(ids, unknown, top),
        "most_missing_fields": [{"field": f, "records": n} for f, n in missing.most_common(top)],
    }


def rows_needing_review(screening: CohortScreening, limit: int) -> Iterator[int]:
    """Rows with an unknown criterion (a bounded sample, for the summary of missing fields)."""
    rows = np.flatnonzero(np.any(screening.unknown, axis=1))
    yield from (int(row) for row in rows[:limit])


def _top(ids: Sequence[str], counts: Any, top: int) -> list[dict[str, Any]]:
    order = sorted(range(len(ids)), key=lambda i: (-int(counts[i]), ids[i]))
    return [{"criterion": ids[i], "records": int(counts[i])} for i in order[:top] if counts[i] > 0]


def screen_cohort_for_trials(
    cohort: Cohort,
    trials: Sequence[Trial],
    *,
    as_of: date,
    progress: Callable[[int, int, Trial], None] | None = None,
) -> list[TrialCohortResult]:
    """Every trial screened over the whole cohort (one vectorised pass per trial)."""
    results = []
    for index, trial in enumerate(trials, start=1):
        flat = flat_criteria(trial)
        rules, _ = mrd_rules_from(flat.parameter_values)
        screening = screen_cohort(
            cohort,
            [(c.criterion_id, c.kind, c.expression) for c in flat.criteria],
            flat.parameter_values,
            as_of=as_of,
            mrd_rules=rules,
            attestations=trial.protocol.id,
            study_entry="as_of",
            unknown_attestations="ignore",
        )
        results.append(TrialCohortResult(trial, screening))
        if progress is not None:
            progress(index, len(trials), trial)
    return results


def verdict_table(results: Sequence[TrialCohortResult]) -> pa.Table:
    """One row per record × trial: study id, trial, verdict, failing and unknown criteria, missing fields."""
    tables = [_trial_rows(result) for result in results]
    return pa.concat_tables(tables) if tables else pa.table({name: [] for name in _COLUMNS})


_COLUMNS = ("study_id", "trial", "verdict", "failing", "unknown", "missing")


def _id_lists(matrix: np.ndarray, ids: Sequence[str]) -> pa.Array:
    """A list of criterion ids per row where ``matrix`` is true, built from offsets (no row loop)."""
    rows, cols = np.nonzero(matrix)
    offsets = np.searchsorted(rows, np.arange(matrix.shape[0] + 1)).astype(np.int32)
    values = pa.array(np.asarray(ids, dtype=object)[cols] if len(ids) else [], pa.string())
    return pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), values)


def _trial_rows(result: TrialCohortResult) -> pa.Table:
    screening = result.screening
    n = len(screening)
    missing: list[list[str]] = [[] for _ in range(n)]
    for row in rows_needing_review(screening, limit=n):
        missing[row] = screening.missing_paths(row)
    return pa.table(
        {
            "study_id": pa.array(screening.cohort.study_ids, pa.string()),
            "trial": pa.array([result.trial.id] * n, pa.string()),
            "verdict": pa.array(np.asarray(VERDICTS, dtype=object)[screening.verdict], pa.string()),
            "failing": _id_lists(screening.failing, screening.criterion_ids),
            "unknown": _id_lists(screening.unknown, screening.criterion_ids),
            "missing": pa.array(missing, pa.list_(pa.string())),
        }
    )
