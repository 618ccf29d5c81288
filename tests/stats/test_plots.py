"""Kaplan–Meier and cumulative-incidence step plots: number-at-risk rows, censoring marks, bands, bytes."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.text import Text

from remission.errors import InputError
from remission.stats.cumulative_incidence import cumulative_incidence
from remission.stats.kaplan_meier import SurvivalCurve, kaplan_meier
from remission.stats.plots import (
    AT_RISK_LABEL,
    figure_png,
    figure_svg,
    incidence_plot,
    number_at_risk,
    survival_plot,
    tick_times,
)
from stats.r_reference import dataset

SCALE = 100.0  # lung and mgus2 follow-up is in days; ticks every 100 days give many columns


def at_risk_texts(figure: Figure) -> dict[str, list[int]]:
    """The numbers printed in the figure's number-at-risk rows, per group in tick order."""
    (table,) = [ax for ax in figure.axes if ax.get_label() == AT_RISK_LABEL]
    cells: dict[str, dict[int, int]] = {}
    for text in table.findobj(Text):
        gid = text.get_gid()
        if gid and gid.startswith("at-risk:"):
            group, index = gid.removeprefix("at-risk:").rsplit(":", 1)
            cells.setdefault(group, {})[int(index)] = int(text.get_text())
    return {group: [row[i] for i in sorted(row)] for group, row in cells.items()}


def n_risk_from_curve(curve: SurvivalCurve, t: float) -> int:
    """KM n_risk at the first curve point at or after ``t`` (0 after the last follow-up)."""
    later = np.flatnonzero(curve.time >= t)
    return int(curve.n_risk[later[0]]) if later.size else 0


class TestSurvivalPlot:
    def test_number_at_risk_rows_are_the_kaplan_meier_n_risk(self) -> None:
        """Each printed count is the KM n_risk at the first curve time at or after the tick."""
        lung = dataset("lung")
        fit = kaplan_meier(lung.time, lung.event, group=lung.sex)
        printed = at_risk_texts(survival_plot(fit, time_scale=SCALE))
        ticks = tick_times(float(lung.time.max()), SCALE)
        assert printed == {c.group: [n_risk_from_curve(c, t) for t in ticks] for c in fit.curves}

    def test_the_first_count_is_the_group_size(self) -> None:
        """At time 0 every subject of a group is at risk."""
        lung = dataset("lung")
        fit = kaplan_meier(lung.time, lung.event, group=lung.sex)
        printed = at_risk_texts(survival_plot(fit, time_scale=SCALE))
        assert {group: counts[0] for group, counts in printed.items()} == {c.group: c.n for c in fit.curves}

    def test_censoring_marks_sit_at_the_censoring_times_on_the_curve(self) -> None:
        """The tick marks are drawn at each censoring time, at the survival value there."""
        lung = dataset("lung")
        fit = kaplan_meier(lung.time, lung.event)
        figure = survival_plot(fit, time_scale=SCALE)
        (marks,) = [line for line in figure.axes[0].get_lines() if line.get_marker() == "|"]
        curve = fit.curves[0]
        censored = curve.n_censor > 0
        np.testing.assert_allclose(marks.get_xdata(), curve.time[censored] / SCALE)
        np.testing.assert_allclose(marks.get_ydata(), curve.survival[censored])

    def test_the_confidence_band_is_drawn_only_when_asked(self) -> None:
        """``confidence=True`` shades one band per curve; the default draws none."""
        lung = dataset("lung")
        fit = kaplan_meier(lung.time, lung.event, group=lung.sex)
        plain = survival_plot(fit, time_scale=SCALE).axes[0]
        banded = survival_plot(fit, time_scale=SCALE, confidence=True).axes[0]
        assert sum(isinstance(c, PolyCollection) for c in plain.collections) == 0
        assert sum(isinstance(c, PolyCollection) for c in banded.collections) == len(fit.curves)

    def test_the_curve_steps_through_every_survival_value(self) -> None:
        """The drawn step line starts at 1 and then takes the estimator's survival values."""
        lung = dataset("lung")
        fit = kaplan_meier(lung.time, lung.event)
        (line,) = [line for line in survival_plot(fit).axes[0].get_lines() if line.get_marker() != "|"]
        np.testing.assert_allclose(line.get_ydata(), np.concatenate(([1.0], fit.curves[0].survival)))

    def test_a_time_scale_that_is_not_positive_is_refused(self) -> None:
        """``time_scale`` 0 is refused naming the argument."""
        lung = dataset("lung")
        with pytest.raises(InputError, match="time_scale"):
            survival_plot(kaplan_meier(lung.time, lung.event), time_scale=0.0)


class TestIncidencePlot:
    def test_number_at_risk_rows_count_follow_up_at_or_after_each_tick(self) -> None:
        """Counts are the subjects of each group still event-free and followed (time >= tick)."""
        mgus = dataset("mgus2")
        fit = cumulative_incidence(mgus.time, mgus.cause, group=mgus.sex)
        printed = at_risk_texts(incidence_plot(fit, mgus.time, mgus.cause, group=mgus.sex, time_scale=SCALE))
        ticks = tick_times(float(mgus.time.max()), SCALE)
        expected = {sex: [int(np.sum(mgus.time[mgus.sex == sex] >= t)) for t in ticks] for sex in ("F", "M")}
        assert printed == expected

    def test_each_group_has_a_curve_ending_at_its_last_estimate(self) -> None:
        """The drawn lines are the estimator's curves of the requested cause."""
        mgus = dataset("mgus2")
        fit = cumulative_incidence(mgus.time, mgus.cause, group=mgus.sex)
        axes = incidence_plot(fit, mgus.time, mgus.cause, group=mgus.sex).axes[0]
        curves = [line for line in axes.get_lines() if line.get_marker() != "|"]
        assert [line.get_ydata()[-1] for line in curves] == [fit.curve(g, 1).estimate[-1] for g in fit.groups]

    def test_groups_other_than_those_of_the_fit_are_refused(self) -> None:
        """Plotting a fit with data grouped differently is refused, naming ``group``."""
        mgus = dataset("mgus2")
        fit = cumulative_incidence(mgus.time, mgus.cause, group=mgus.sex)
        with pytest.raises(InputError, match="group"):
            incidence_plot(fit, mgus.time, mgus.cause)


class TestHelpers:
    def test_number_at_risk_matches_kaplan_meier_at(self) -> None:
        """``number_at_risk`` agrees with the KM ``at()`` n_risk (R's summary n.risk) at any time."""
        lung = dataset("lung")
        fit = kaplan_meier(lung.time, lung.event, group=lung.sex)
        times = [0.0, 5.0, 11.0, 300.5, 1022.0, 1023.0]
        counts = number_at_risk(lung.time, times, group=lung.sex)
        assert counts.labels == tuple(c.group for c in fit.curves)
        assert counts.rows == tuple(tuple(r["n_risk"] for r in c.at(times)) for c in fit.curves)

    def test_ticks_fall_on_whole_multiples_of_the_scale(self) -> None:
        """Ticks run from 0 to the last whole multiple of the time scale at or before the end."""
        np.testing.assert_allclose(tick_times(1095.0, 365.25), [0.0, 365.25, 730.5])
        np.testing.assert_allclose(tick_times(1095.75, 365.25), [0.0, 365.25, 730.5, 1095.75])

    def test_png_and_svg_bytes(self) -> None:
        """PNG bytes carry the PNG signature; SVG is an SVG document and renders the same twice."""
        lung = dataset("lung")
        fit = kaplan_meier(lung.time, lung.event)
        figure = survival_plot(fit)
        assert figure_png(figure).startswith(b"\x89PNG\r\n\x1a\n")
        svg = figure_svg(figure)
        assert b"<svg" in svg
        assert svg == figure_svg(survival_plot(fit))
