"""The analyses of the study report, as data: population, time and event columns, grouping, wording.

Every analysis reads columns of the endpoint dataset (``docs/export.md``; the extended columns
``hsct_count``, ``dfs_after_hsct_*`` and ``os_after_relapse_*`` included) and states its origin,
endpoint, censoring rule and population in words that the report prints next to its numbers.
The survival-after-relapse analyses follow the JPLSG MLL03 relapse survey (seed 003: OS after
relapse overall and by age at onset, relapse site, relapse before or after HSCT, and remission
before the second HSCT).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from remission.protocols.stratification import PENDING

Kind = Literal["survival", "incidence"]
Population = Callable[[pd.DataFrame], "pd.Series[bool]"]

#: Cause codes of ``relapse_cause`` (cmprsk coding, 0 = censored) and how the report names them.
CAUSE_LABELS: Mapping[int, str] = {1: "relapse", 2: "death in remission"}


@dataclass(frozen=True)
class AnalysisDefinition:
    """One analysis: who is in it, which columns it reads, and how the report describes it.

    ``kind`` ``"survival"`` reads ``event`` as 1 event / 0 censored (Kaplan–Meier, log-rank);
    ``"incidence"`` reads it as 0 censored / 1.. cause (Aalen–Johansen, Gray's test).
    ``group_labels`` recodes the grouping column's values (e.g. ``True`` → ``"< 6 months"``);
    patients whose group value is in ``left_out`` are left out like those without a group.
    """

    key: str
    title: str
    kind: Kind
    time: str
    event: str
    population: Population
    population_text: str
    origin: str
    endpoint: str
    censoring: str
    group: str | None = None
    group_title: str = ""
    group_labels: Mapping[object, str] = field(default_factory=dict)
    left_out: tuple[object, ...] = ()
    ylabel: str = "Probability"
    note: str = ""


def _flag(frame: pd.DataFrame, column: str) -> pd.Series[bool]:
    """A boolean column with missing values read as False."""
    return frame[column].astype("boolean").fillna(False).astype(bool)


def enrolled(frame: pd.DataFrame) -> pd.Series[bool]:
    """Patients enrolled in a protocol (``protocol_id`` given): the trial's analysis population."""
    return frame["protocol_id"].notna()


def transplanted_in_first_remission(frame: pd.DataFrame) -> pd.Series[bool]:
    """Enrolled patients with an HSCT and no relapse before their first HSCT."""
    relapsed_before = (frame["relapse_cause"] == 1) & (
        frame["relapse_time_days"] < frame["time_to_hsct_days"]
    )
    return enrolled(frame) & _flag(frame, "hsct") & ~relapsed_before.fillna(False).astype(bool)


def relapsed(frame: pd.DataFrame) -> pd.Series[bool]:
    """Enrolled patients with a recorded relapse."""
    return enrolled(frame) & frame["relapse_site"].notna()


def relapsed_with_second_hsct(frame: pd.DataFrame) -> pd.Series[bool]:
    """Relapsed patients whose remission status before a second HSCT is recorded."""
    return relapsed(frame) & frame["remission_before_second_hsct"].notna()


_ENROLLED = "Enrolled patients (a protocol enrollment recorded)."
_RELAPSED = "Enrolled patients with a recorded relapse."
_FROM_DIAGNOSIS = "Date of diagnosis."
_FROM_RELAPSE = "Date of the first relapse."
_LAST_CONTACT = "Alive at last contact: censored at the last contact date."
_EFS = "The first of relapse or death from any cause."
_POST_RELAPSE = "Death from any cause after the first relapse."
_RISK = "risk group (the current, final assignment)"
_FINAL = "Enrolled patients (a protocol enrollment recorded), compared by their final risk group."
#: A risk group that is not final (no group decided yet) is not a group to compare.
_PENDING = (PENDING,)


def _os_after_relapse(
    *,
    population: Callable[[pd.DataFrame], pd.Series[bool]] = relapsed,
    population_text: str = _RELAPSED,
    **specific: Any,
) -> AnalysisDefinition:
    """Overall survival from the first relapse: the seed-003 analyses differ only in grouping."""
    return AnalysisDefinition(
        kind="survival",
        time="os_after_relapse_time_days",
        event="os_after_relapse_event",
        population=population,
        population_text=population_text,
        origin=_FROM_RELAPSE,
        endpoint=_POST_RELAPSE,
        censoring=_LAST_CONTACT,
        ylabel="Overall survival after relapse",
        **specific,
    )


ANALYSES: tuple[AnalysisDefinition, ...] = (
    AnalysisDefinition(
        key="efs_by_risk_group",
        title="Event-free survival by risk group",
        kind="survival",
        time="efs_time_days",
        event="efs_event",
        population=enrolled,
        population_text=_FINAL,
        origin=_FROM_DIAGNOSIS,
        endpoint=_EFS,
        censoring="Alive without relapse at last contact: censored at the last contact date.",
        group="risk_group",
        group_title=_RISK,
        left_out=_PENDING,
        ylabel="Event-free survival",
    ),
    AnalysisDefinition(
        key="os_by_risk_group",
        title="Overall survival by risk group",
        kind="survival",
        time="os_time_days",
        event="os_event",
        population=enrolled,
        population_text=_FINAL,
        origin=_FROM_DIAGNOSIS,
        endpoint="Death from any cause.",
        censoring=_LAST_CONTACT,
        group="risk_group",
        group_title=_RISK,
        left_out=_PENDING,
        ylabel="Overall survival",
    ),
    AnalysisDefinition(
        key="relapse_incidence",
        title="Cumulative incidence of relapse, death in remission competing",
        kind="incidence",
        time="relapse_time_days",
        event="relapse_cause",
        population=enrolled,
        population_text=_ENROLLED,
        origin=_FROM_DIAGNOSIS,
        endpoint="Relapse (cause 1); death without prior relapse is the competing event (cause 2).",
        censoring="Alive without relapse at last contact: censored at the last contact date.",
        ylabel="Cumulative incidence",
    ),
    AnalysisDefinition(
        key="relapse_incidence_by_risk_group",
        title="Cumulative incidence of relapse by risk group",
        kind="incidence",
        time="relapse_time_days",
        event="relapse_cause",
        population=enrolled,
        population_text=_FINAL,
        origin=_FROM_DIAGNOSIS,
        endpoint="Relapse (cause 1); death without prior relapse is the competing event (cause 2).",
        censoring="Alive without relapse at last contact: censored at the last contact date.",
        group="risk_group",
        group_title=_RISK,
        left_out=_PENDING,
        ylabel="Cumulative incidence of relapse",
    ),
    AnalysisDefinition(
        key="dfs_after_hsct",
        title="Disease-free survival after HSCT in first remission",
        kind="survival",
        time="dfs_after_hsct_time_days",
        event="dfs_after_hsct_event",
        population=transplanted_in_first_remission,
        population_text="Enrolled patients with an allogeneic HSCT and no relapse before their first HSCT.",
        origin="Date of the first HSCT.",
        endpoint="The first relapse on or after the HSCT date, or death from any cause.",
        censoring="Alive without relapse at last contact: censored at the last contact date.",
        ylabel="Disease-free survival",
    ),
    _os_after_relapse(
        key="os_after_relapse",
        title="Overall survival after relapse",
    ),
    _os_after_relapse(
        key="os_after_relapse_by_age",
        title="Overall survival after relapse by age at diagnosis",
        group="age_under_6_months",
        group_title="age at diagnosis (completed calendar months)",
        group_labels={True: "< 6 months", False: "≥ 6 months"},
    ),
    _os_after_relapse(
        key="os_after_relapse_by_site",
        title="Overall survival after relapse by relapse site",
        group="relapse_site",
        group_title="site of the first relapse",
    ),
    _os_after_relapse(
        key="os_after_relapse_by_timing",
        title="Overall survival after relapse by relapse before or after HSCT",
        group="relapse_timing",
        group_title="first relapse relative to the first HSCT, as the site recorded it",
    ),
    _os_after_relapse(
        key="os_after_relapse_by_remission_before_second_hsct",
        title="Overall survival after relapse by remission before a second HSCT",
        population=relapsed_with_second_hsct,
        population_text="Relapsed enrolled patients whose remission status before a second HSCT is recorded.",
        group="remission_before_second_hsct",
        group_title="remission before the second HSCT",
        group_labels={True: "in remission", False: "not in remission"},
        note=(
            "Only patients who lived to a second HSCT are in this comparison, yet time runs from the "
            "relapse: the time until the second HSCT is guaranteed survival (immortal-time bias). "
            "Read the comparison as descriptive."
        ),
    ),
)

#: The dataset columns the report reads.
REQUIRED_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            "patient_key",
            "protocol_id",
            "hsct",
            "time_to_hsct_days",
            "relapse_site",
            "remission_before_second_hsct",
            "relapse_cause",
            "relapse_time_days",
            *(column for a in ANALYSES for column in (a.time, a.event, a.group) if column),
        ]
    )
)
