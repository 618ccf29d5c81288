"""Building the study report from the endpoint dataset: every analysis of :data:`ANALYSES`, as data.

The report never reads the database: it takes the dataset (a pyarrow Table or a pandas DataFrame
with the columns of ``docs/export.md``, extended columns included) that the caller derived, and
the data cut (``as_of``) it was derived at. Years are :data:`YEAR_DAYS` days long, so "3 years"
is day 1095.75 and the estimate shown is the curve's value at the last event time on or before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
import pyarrow as pa

from remission.protocols import ProtocolError, load_protocol
from remission.stats.inputs import refuse
from remission.stats.report.adverse_events import AdverseEventTable, adverse_event_table
from remission.stats.report.baseline import BaselineTable, baseline_table
from remission.stats.report.consort import StudyFlow, study_flow
from remission.stats.report.definitions import ANALYSES, REQUIRED_COLUMNS, AnalysisDefinition, enrolled
from remission.stats.report.estimates import AnalysisResult, run_analysis
from remission.stats.report.follow_up import MedianFollowUp, median_follow_up

#: The length of a year in days (the Julian year), used to turn "3 years" into a time in days.
YEAR_DAYS = 365.25
#: The years at which the tables report estimates.
REPORT_YEARS = (3, 4, 5)
#: Groups with fewer patients than this show "not estimable" instead of estimates.
MIN_GROUP_SIZE = 5


@dataclass(frozen=True, eq=False)
class StudyReport:
    """The report as data: what was analysed, at which data cut, and every analysis's result."""

    title: str
    as_of: date
    years: tuple[int, ...]
    year_days: float
    min_group_size: int
    patients: int
    enrolled: int
    protocols: tuple[str, ...]
    analyses: tuple[AnalysisResult, ...]
    notes: tuple[str, ...]
    #: Median follow-up of overall survival (reverse Kaplan–Meier); ``None`` without follow-up times.
    follow_up: MedianFollowUp | None = None
    #: Baseline characteristics of the enrolled patients by risk group (``None`` without the columns).
    baseline: BaselineTable | None = None
    #: The study flow of ``flow_protocol`` (``None`` when no flow rows were given).
    flow: StudyFlow | None = None
    #: Adverse events by arm and worst grade (``None`` when no event rows were given).
    adverse_events: AdverseEventTable | None = None

    @property
    def times_days(self) -> tuple[float, ...]:
        """The report's time points in days (``years × year_days``)."""
        return tuple(year * self.year_days for year in self.years)

    def analysis(self, key: str) -> AnalysisResult:
        """One analysis by its key (see :data:`ANALYSES`)."""
        for result in self.analyses:
            if result.definition.key == key:
                return result
        raise refuse("key", f"no analysis {key!r}; analyses are {[a.definition.key for a in self.analyses]}")


def as_frame(dataset: pa.Table | pd.DataFrame) -> pd.DataFrame:
    """The dataset as a DataFrame with every column the report reads (``InputError`` otherwise)."""
    if isinstance(dataset, pa.Table):
        frame = dataset.to_pandas()
    elif isinstance(dataset, pd.DataFrame):
        frame = dataset
    else:
        raise refuse("dataset", f"must be a pyarrow Table or pandas DataFrame, not {type(dataset).__name__}")
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise refuse("dataset", f"lacks the columns {missing} (derive it with extended=True)")
    return frame


def _frame(table: pa.Table | pd.DataFrame) -> pd.DataFrame:
    return table.to_pandas() if isinstance(table, pa.Table) else table


def protocol_orders(protocol_ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """The risk groups and arms of the shipped protocols, in their files' order (unknown ids give none)."""
    groups: list[str] = []
    arms: list[str] = []
    for protocol_id in protocol_ids:
        try:
            protocol = load_protocol(protocol_id)
        except ProtocolError:
            continue
        if protocol.stratification:
            groups += [g.id for g in protocol.stratification.risk_groups if g.id not in groups]
        arms += [a.id for a in protocol.arms if a.id not in arms]
    return groups, arms


def build_report(
    dataset: pa.Table | pd.DataFrame,
    *,
    as_of: date,
    title: str = "Study report",
    notes: Sequence[str] = (),
    years: Sequence[int] = REPORT_YEARS,
    min_group_size: int = MIN_GROUP_SIZE,
    analyses: Sequence[AnalysisDefinition] = ANALYSES,
    flow: pa.Table | pd.DataFrame | None = None,
    flow_protocol: str | None = None,
    adverse_events: pa.Table | pd.DataFrame | None = None,
) -> StudyReport:
    """Run every analysis on ``dataset`` (the endpoint dataset derived at the data cut ``as_of``).

    ``years`` are the time points of the tables (× :data:`YEAR_DAYS` days); groups smaller than
    ``min_group_size`` show "not estimable". ``notes`` are printed at the top of the report.
    ``flow`` (per-patient rows of ``flow_protocol``) and ``adverse_events`` (one row per event)
    are what :func:`remission.store.read_report_tables` returns; without them the report has
    no flow or adverse-event table.
    Raises ``InputError`` for a dataset without the needed columns or without enrolled patients.
    """
    frame = as_frame(dataset)
    chosen = tuple(int(year) for year in years)
    if not chosen or any(year <= 0 for year in chosen):
        raise refuse("years", f"must be positive whole years, got {list(years)}")
    if min_group_size < 1:
        raise refuse("min_group_size", f"must be at least 1, got {min_group_size}")
    in_study = enrolled(frame)
    if not in_study.any():
        raise refuse("dataset", "has no enrolled patients: there is nothing to analyse")
    times_days = [year * YEAR_DAYS for year in chosen]
    results = tuple(run_analysis(frame, definition, times_days, min_group_size) for definition in analyses)
    protocols = tuple(sorted(str(p) for p in frame.loc[in_study, "protocol_id"].unique()))
    group_order, arm_order = protocol_orders(protocols)
    flow_frame = _frame(flow) if flow is not None else None
    return StudyReport(
        title=title,
        as_of=as_of,
        years=chosen,
        year_days=YEAR_DAYS,
        min_group_size=min_group_size,
        patients=len(frame),
        enrolled=int(in_study.sum()),
        protocols=protocols,
        analyses=results,
        notes=tuple(notes),
        follow_up=median_follow_up(frame, year_days=YEAR_DAYS),
        baseline=baseline_table(frame, group_order=group_order),
        flow=None
        if flow_frame is None
        else study_flow(flow_frame, protocol_id=flow_protocol or ", ".join(protocols), arm_order=arm_order),
        adverse_events=None
        if flow_frame is None or adverse_events is None
        else adverse_event_table(_frame(adverse_events), flow_frame, arm_order=arm_order),
    )
