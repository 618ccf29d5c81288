"""The study dashboard's numbers and figures, from the endpoint dataset and two grouped counts.

The dataset is the one the store hands the dashboard (:func:`remission.store.read_dashboard_dataset`;
origin: diagnosis). The curves are the study report's own analyses (OS, EFS and relapse
incidence by risk group, :mod:`remission.stats.report`), run and drawn by the same functions, so
the dashboard and the report cannot disagree: final risk groups are compared, *pending* ones are
counted in the table but left out of the curves, as in the report. Risk groups are listed in the
order their protocols declare them. The numbers at risk are also given as a table for screen
readers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from remission.demo import synthetic_note
from remission.errors import InputError
from remission.protocols import PENDING, UNCLASSIFIED, load_protocol
from remission.stats.report import (
    ALL,
    ANALYSES,
    MIN_GROUP_SIZE,
    YEAR_DAYS,
    alt_text,
    analysis_svg_uri,
    at_risk_table,
    run_analysis,
)
from remission.store import StudySession, adverse_events_by_grade, enrollment_dates, read_dashboard_dataset

#: Dashboard figure id, its title, and the report analysis it shows.
FIGURES = (
    ("os", "Overall survival", "os_by_risk_group"),
    ("efs", "Event-free survival", "efs_by_risk_group"),
    ("relapse", "Cumulative incidence of relapse", "relapse_incidence_by_risk_group"),
)


@dataclass(frozen=True)
class Figure:
    """One survival figure: an SVG data URI, its text alternative and the numbers at risk."""

    key: str
    title: str
    svg_uri: str
    alt: str
    at_risk_years: tuple[int, ...]
    at_risk: tuple[tuple[str, tuple[int, ...]], ...]
    events: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class Dashboard:
    patients: int
    enrolled: int
    sites: tuple[str, ...]
    enrollment_by_year: tuple[tuple[str, tuple[int, ...], int], ...]
    enrollment_by_month: tuple[tuple[str, tuple[int, ...], int], ...]
    risk_groups: tuple[tuple[str, int, float], ...]
    figures: tuple[Figure, ...]
    adverse_events: tuple[tuple[int, int, int], ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


def risk_group_order(protocol_ids: list[str]) -> tuple[str, ...]:
    """Risk group ids as the protocols declare them (protocols by id), then pending and unclassified."""
    order: list[str] = []
    for protocol_id in sorted(set(protocol_ids)):
        stratification = load_protocol(protocol_id).stratification
        for group in stratification.risk_groups if stratification else []:
            if group.id not in order:
                order.append(group.id)
    return (*order, PENDING, UNCLASSIFIED)


def _group_key(order: tuple[str, ...]) -> Callable[[str], tuple[int, str]]:
    def key(group: str) -> tuple[int, str]:
        return (order.index(group) if group in order else len(order), group)

    return key


def _enrollment(session: StudySession) -> tuple[tuple[str, ...], tuple[Any, ...], tuple[Any, ...]]:
    rows = enrollment_dates(session)
    if not rows:
        return (), (), ()
    frame = pd.DataFrame(rows, columns=["site", "on"])
    frame["on"] = pd.to_datetime(frame["on"])
    sites = tuple(sorted(frame["site"].unique()))

    def table(period: str) -> tuple[Any, ...]:
        counts = pd.crosstab(frame["on"].dt.to_period(period).astype(str), frame["site"]).reindex(
            columns=list(sites), fill_value=0
        )
        return tuple(
            (str(index), tuple(int(v) for v in row), int(row.sum())) for index, row in counts.iterrows()
        )

    return sites, table("Y"), table("M")


def _figure(frame: pd.DataFrame, key: str, title: str, analysis: str) -> Figure | None:
    """One report analysis run on the dashboard's dataset and drawn as the report draws it."""
    (definition,) = (d for d in ANALYSES if d.key == analysis)
    result = run_analysis(frame, definition, (), MIN_GROUP_SIZE)
    svg = analysis_svg_uri(result, year_days=YEAR_DAYS)
    table = at_risk_table(result, year_days=YEAR_DAYS)
    if svg is None or table is None:
        return None
    events = tuple(
        (row.group, row.n, row.events)
        for row in result.rows
        if row.group != ALL and row.cause in (None, "relapse")
    )
    years = tuple(int(t / YEAR_DAYS) for t in table.ticks_days)
    return Figure(key, title, svg, alt_text(result), years, table.rows, events)


def build_dashboard(session: StudySession) -> Dashboard:
    """Every number of the dashboard for the session's actor (site scope applies)."""
    dataset = read_dashboard_dataset(session).to_pandas()
    enrolled = dataset[dataset["protocol_id"].notna()].copy()
    enrolled["risk_group"] = enrolled["risk_group"].fillna(PENDING).astype(str)
    counts = enrolled["risk_group"].value_counts()
    total = int(counts.sum())
    order = risk_group_order(list(enrolled["protocol_id"].astype(str).unique()))
    groups = tuple(
        (str(group), int(counts[group]), 100.0 * int(counts[group]) / total)
        for group in sorted(counts.index, key=_group_key(order))
    )
    notes: list[str] = []
    if (warning := synthetic_note(list(dataset["patient_key"]))) is not None:
        notes.append(warning)
    figures: list[Figure] = []
    try:
        for key, title, analysis in FIGURES:
            if (figure := _figure(dataset, key, title, analysis)) is not None:
                figures.append(figure)
    except InputError as error:
        notes.append("; ".join(f"{p.field}: {p.problem}" for p in error.problems))
    sites, by_year, by_month = _enrollment(session)
    return Dashboard(
        patients=len(dataset),
        enrolled=total,
        sites=sites,
        enrollment_by_year=by_year,
        enrollment_by_month=by_month,
        risk_groups=groups,
        figures=tuple(figures),
        adverse_events=adverse_events_by_grade(session),
        notes=tuple(notes),
    )
