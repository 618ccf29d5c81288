"""The study dashboard's numbers and figures, from the endpoint dataset and two grouped queries.

Survival curves use :mod:`remission.stats` on the endpoint dataset that
:func:`remission.store.endpoints.derive_endpoints` derives for the viewer (origin: diagnosis;
enrolled patients only; groups are the current risk group, *pending* included). Figures are
SVG from :mod:`remission.stats.plots` with the numbers at risk under the axis; the same numbers
are also given as a table for screen readers.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import distinct, func, select

from remission.errors import InputError
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
from remission.store.endpoints import derive_endpoints
from remission.store.models import AdverseEvent, Enrollment, Site
from remission.store.session import StudySession

YEAR_DAYS = 365.25
#: The order risk groups are shown in; others follow alphabetically.
GROUP_ORDER = ("LR", "IR", "HR", "pending", "unclassified")
#: Study ids of the synthetic demo cohort, labelled as such on the dashboard.
SYNTHETIC_PREFIX = "SYN-"


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


def _group_key(group: str) -> tuple[int, str]:
    return (GROUP_ORDER.index(group) if group in GROUP_ORDER else len(GROUP_ORDER), group)


def _enrollment(session: StudySession) -> tuple[tuple[str, ...], tuple[Any, ...], tuple[Any, ...]]:
    rows = session.execute(
        select(Site.code, Enrollment.enrolled_on).join(Site, Site.id == Enrollment.site_id)
    ).all()
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


def _adverse_events(session: StudySession) -> tuple[tuple[int, int, int], ...]:
    rows = session.execute(
        select(AdverseEvent.grade, func.count(AdverseEvent.id), func.count(distinct(AdverseEvent.patient_id)))
        .group_by(AdverseEvent.grade)
        .order_by(AdverseEvent.grade)
    ).all()
    found = {int(grade): (int(events), int(patients)) for grade, events, patients in rows}
    return tuple((grade, *found.get(grade, (0, 0))) for grade in range(1, 6))


def build_dashboard(session: StudySession) -> Dashboard:
    """Every number of the dashboard for the session's actor (site scope applies)."""
    dataset = derive_endpoints(session).to_pandas()
    enrolled = dataset[dataset["protocol_id"].notna()].copy()
    enrolled["risk_group"] = enrolled["risk_group"].fillna("pending").astype(str)
    counts = enrolled["risk_group"].value_counts()
    total = int(counts.sum())
    groups = tuple(
        (str(group), int(counts[group]), 100.0 * int(counts[group]) / total)
        for group in sorted(counts.index, key=_group_key)
    )
    notes: list[str] = []
    synthetic = int(dataset["patient_key"].str.startswith(SYNTHETIC_PREFIX).sum())
    if synthetic:
        notes.append(
            f"{synthetic} patients ({SYNTHETIC_PREFIX}…) are synthetic demo data: their outcomes come from "
            "arbitrary demo parameters and mean nothing clinically."
        )
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
        adverse_events=_adverse_events(session),
        notes=tuple(notes),
    )
