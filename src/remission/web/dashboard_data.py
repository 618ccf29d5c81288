"""The study dashboard's numbers and figures, from the endpoint dataset and two grouped counts.

Survival curves use :mod:`remission.stats` on the endpoint dataset the store hands the
dashboard (:func:`remission.store.read_dashboard_dataset`; origin: diagnosis; enrolled patients
only; groups are the current risk group, *pending* included). Risk groups are shown in the
order their protocols declare them. Figures are
SVG from :mod:`remission.stats.plots` with the numbers at risk under the axis; the same numbers
are also given as a table for screen readers.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from remission.demo import synthetic_note
from remission.protocols import PENDING, UNCLASSIFIED, load_protocol
from remission.record.errors import InputError
from remission.stats.cumulative_incidence import cumulative_incidence
from remission.stats.kaplan_meier import kaplan_meier
from remission.stats.plots import (
    axis_end,
    figure_svg,
    incidence_plot,
    number_at_risk,
    survival_plot,
    tick_times,
)
from remission.store import StudySession, adverse_events_by_grade, enrollment_dates, read_dashboard_dataset

YEAR_DAYS = 365.25


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


def _group_key(order: tuple[str, ...]) -> Any:
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


def _svg_uri(figure: Any) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(figure_svg(figure)).decode("ascii")


def _survival_figure(key: str, title: str, frame: pd.DataFrame, time: str, event: str) -> Figure | None:
    data = frame[frame[time].notna() & frame[event].notna()]
    if data.empty:
        return None
    fit = kaplan_meier(
        data[time].to_numpy(float), data[event].to_numpy(int), group=data["risk_group"].to_numpy(str)
    )
    ticks = tick_times(axis_end(None, float(data[time].max())), YEAR_DAYS)
    rows = tuple((curve.group, tuple(row["n_risk"] for row in curve.at(ticks))) for curve in fit.curves)
    events = tuple(
        (curve.group, int(np.sum(data["risk_group"] == curve.group)), int(curve.n_event.sum()))
        for curve in fit.curves
    )
    alt = f"{title}: Kaplan–Meier curves by risk group, " + "; ".join(
        f"{group} {n} patients, {e} events" for group, n, e in events
    )
    svg = _svg_uri(survival_plot(fit, title=title, ylabel="Probability"))
    return Figure(key, title, svg, alt, tuple(int(t / YEAR_DAYS) for t in ticks), rows, events)


def _incidence_figure(frame: pd.DataFrame) -> Figure | None:
    data = frame[frame["relapse_time_days"].notna() & frame["relapse_cause"].notna()]
    if data.empty or not (data["relapse_cause"] == 1).any():
        return None
    times = data["relapse_time_days"].to_numpy(float)
    causes = data["relapse_cause"].to_numpy(int)
    groups = data["risk_group"].to_numpy(str)
    fit = cumulative_incidence(times, causes, group=groups)
    title = "Cumulative incidence of relapse"
    figure = incidence_plot(
        fit,
        times,
        causes,
        group=groups,
        causes=(1,),
        cause_labels={1: "relapse"},
        title=title,
        ylabel="Cumulative incidence",
    )
    ticks = tick_times(axis_end(None, float(times.max())), YEAR_DAYS)
    at_risk = number_at_risk(times, ticks, group=groups)
    events = tuple(
        (label, int(np.sum(groups == label)), int(np.sum((groups == label) & (causes == 1))))
        for label in at_risk.labels
    )
    alt = f"{title} by risk group (death without relapse competing): " + "; ".join(
        f"{group} {n} patients, {e} relapses" for group, n, e in events
    )
    return Figure(
        "relapse",
        title,
        _svg_uri(figure),
        alt,
        tuple(int(t / YEAR_DAYS) for t in ticks),
        tuple(zip(at_risk.labels, at_risk.rows, strict=True)),
        events,
    )


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
        for figure in (
            _survival_figure("os", "Overall survival", enrolled, "os_time_days", "os_event"),
            _survival_figure("efs", "Event-free survival", enrolled, "efs_time_days", "efs_event"),
            _incidence_figure(enrolled),
        ):
            if figure is not None:
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
