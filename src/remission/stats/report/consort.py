"""The CONSORT-style study flow: registered → screened → eligible → enrolled → stratified → arms.

Counted from the per-patient flow rows the store hands the report
(:func:`remission.store.read_report_tables`: ``screened``, ``verdict``, ``failing``,
``enrolled``, ``risk_group``, ``arm``), vectorised over the rows. Each step says how many
patients reached it and how many were lost before the next step, and why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from remission.protocols.stratification import PENDING

#: The columns of the flow rows the counting reads.
FLOW_COLUMNS = ("patient_key", "screened", "verdict", "failing", "enrolled", "risk_group", "arm")
NO_ARM = "no arm recorded"


@dataclass(frozen=True)
class Loss:
    """Patients lost between two steps for one reason; ``detail`` breaks it down (e.g. by criterion)."""

    reason: str
    count: int
    detail: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class FlowStep:
    """A step of the flow: how many reached it, and the losses before the next step."""

    label: str
    count: int
    lost: tuple[Loss, ...]


@dataclass(frozen=True)
class StudyFlow:
    """The flow of one protocol: the steps in order, then the stratified patients per arm."""

    protocol_id: str
    steps: tuple[FlowStep, ...]
    arms: tuple[tuple[str, int], ...]

    def step(self, label: str) -> FlowStep:
        """The step called ``label`` (``KeyError`` if there is none)."""
        for step in self.steps:
            if step.label == label:
                return step
        raise KeyError(label)


def _criteria(failing: pd.Series[Any]) -> tuple[tuple[str, int], ...]:
    """How many patients failed each criterion (a list of criterion ids per patient)."""
    counts: Counter[str] = Counter(str(c) for items in failing if items is not None for c in items)
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def study_flow(flow: pd.DataFrame, *, protocol_id: str, arm_order: Sequence[str] = ()) -> StudyFlow:
    """The flow of ``protocol_id`` from its per-patient rows; arms in ``arm_order``, others after."""
    screened = flow["screened"].astype(bool)
    verdict = flow["verdict"].astype("string")
    eligible = screened & (verdict == "eligible").fillna(False).astype(bool)
    enrolled = flow["enrolled"].astype(bool)
    pending = enrolled & (flow["risk_group"] == PENDING).fillna(False).astype(bool)
    stratified = enrolled & ~pending
    not_eligible = screened & (verdict == "not eligible").fillna(False).astype(bool)
    review = screened & (verdict == "needs review").fillna(False).astype(bool)
    steps = (
        FlowStep(
            "Registered",
            len(flow),
            (Loss("no diagnosis recorded (cannot be screened)", int((~screened).sum())),),
        ),
        FlowStep(
            "Screened",
            int(screened.sum()),
            (
                Loss(
                    "not eligible (a criterion not met; a child may fail several)",
                    int(not_eligible.sum()),
                    _criteria(flow.loc[not_eligible, "failing"]),
                ),
                Loss("needs review (a criterion unknown, not attested)", int(review.sum())),
            ),
        ),
        FlowStep(
            "Eligible",
            int(eligible.sum()),
            (Loss("eligible, not enrolled", int((eligible & ~enrolled).sum())),),
        ),
        FlowStep(
            "Enrolled",
            int(enrolled.sum()),
            (Loss("risk group pending (no final assignment yet)", int(pending.sum())),),
        ),
        FlowStep("Stratified", int(stratified.sum()), ()),
    )
    arms = flow.loc[stratified, "arm"].astype("string").fillna(NO_ARM).value_counts()
    order = [*arm_order, *sorted(set(arms.index) - set(arm_order))]
    return StudyFlow(protocol_id, steps, tuple((arm, int(arms.get(arm, 0))) for arm in order))
