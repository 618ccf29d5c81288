"""The adverse-event table: per CTCAE term and arm, patients by their worst grade (1–5) and ≥ 3.

A patient is counted once per term, at the worst grade recorded for it; terms are kept apart by
terminology version (``CTCAE v5.0`` and ``v6.0`` terms are not merged). The arm is the one of
the patient's current assignment; enrolled patients without one are a column of their own.
Counted from the rows :func:`remission.store.read_report_tables` hands the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from remission.stats.report.consort import NO_ARM

#: Grades of CTCAE: 1 mild, 2 moderate, 3 severe, 4 life-threatening, 5 death.
GRADES = (1, 2, 3, 4, 5)
#: The column of enrolled patients without an arm (their risk group is pending).
NO_ARM_YET = "no arm yet (risk group pending)"


@dataclass(frozen=True)
class TermRow:
    """One term in one arm: patients by worst grade (``by_grade[g - 1]``) and at grade ≥ 3."""

    terminology: str
    term: str
    arm: str
    by_grade: tuple[int, ...]
    grade_3_or_more: int


@dataclass(frozen=True)
class AdverseEventTable:
    """Rows per term (sorted by terminology, then term) and arm; the patients of each arm."""

    arms: tuple[tuple[str, int], ...]
    terminologies: tuple[str, ...]
    rows: tuple[TermRow, ...]

    def row(self, term: str, arm: str) -> TermRow:
        """The row of ``term`` in ``arm`` (``KeyError`` if there is none)."""
        for row in self.rows:
            if row.term == term and row.arm == arm:
                return row
        raise KeyError((term, arm))


def _arms(flow: pd.DataFrame) -> pd.Series[str]:
    enrolled = flow[flow["enrolled"].astype(bool)]
    arm = enrolled["arm"].astype("string")
    pending = (enrolled["risk_group"] == "pending").fillna(False).astype(bool)
    labels = arm.mask(arm.isna() & pending, NO_ARM_YET).fillna(NO_ARM)
    return pd.Series(labels.to_numpy(), index=enrolled["patient_key"].to_numpy())


def adverse_event_table(
    events: pd.DataFrame, flow: pd.DataFrame, *, arm_order: Sequence[str] = ()
) -> AdverseEventTable:
    """Worst grade per patient and term, counted per arm of the enrolled patients of ``flow``."""
    arm_of = _arms(flow)
    present = set(arm_of.unique())
    order = [*arm_order, *sorted(present - set(arm_order) - {NO_ARM_YET, NO_ARM})]
    order += [a for a in (NO_ARM_YET, NO_ARM) if a in present]
    sizes = arm_of.value_counts()
    arms = tuple((arm, int(sizes.get(arm, 0))) for arm in order)
    known = events[events["patient_key"].isin(arm_of.index)]
    worst = known.groupby(["terminology", "term", "patient_key"], as_index=False)["grade"].max()
    worst["arm"] = arm_of.reindex(worst["patient_key"]).to_numpy()
    counts = worst.groupby(["terminology", "term", "arm", "grade"]).size()
    rows = []
    for terminology, term in sorted(set(zip(worst["terminology"], worst["term"], strict=True))):
        for arm, _ in arms:
            by_grade = tuple(int(counts.get((terminology, term, arm, g), 0)) for g in GRADES)
            rows.append(TermRow(terminology, term, arm, by_grade, sum(by_grade[2:])))
    return AdverseEventTable(arms, tuple(sorted(set(worst["terminology"]))), tuple(rows))
