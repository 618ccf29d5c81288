"""The report as data: estimates, counts and tests are the estimators' own; the "not estimable" rules."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from remission.errors import InputError
from remission.stats.cumulative_incidence import cumulative_incidence
from remission.stats.kaplan_meier import kaplan_meier
from remission.stats.report import ALL, NOT_ESTIMABLE, YEAR_DAYS, build_report
from remission.stats.report.estimates import incidence_limits
from stats.report.helpers import endpoint_frame, shown

CUT = date(2026, 6, 30)
TIMES = [3 * YEAR_DAYS, 4 * YEAR_DAYS, 5 * YEAR_DAYS]


def report(frame: pd.DataFrame, **options):
    return build_report(frame, as_of=CUT, **options)


class TestSurvivalTables:
    def test_cells_are_the_kaplan_meier_estimates_at_3_4_5_years(self):
        """Each EFS cell holds survfit's estimate and Greenwood SE at 1095.75, 1461 and 1826.25 days."""
        frame = endpoint_frame()
        result = report(frame).analysis("efs_by_risk_group")
        fit = kaplan_meier(frame.efs_time_days, frame.efs_event, group=frame.risk_group)
        for curve in fit.curves:
            (row,) = [r for r in result.rows if r.group == curve.group]
            expected = curve.at(TIMES)
            assert [c.estimate for c in row.cells] == [p["survival"] for p in expected]
            assert [c.std_err for c in row.cells] == [p["std_err"] for p in expected]
            assert [c.text for c in row.cells] == [
                shown(p["survival"], p["std_err"], p["lower"], p["upper"]) for p in expected
            ]

    def test_n_events_and_the_pooled_row_are_the_estimators(self):
        """n and events per group come from the fit; the first row pools every group."""
        frame = endpoint_frame()
        result = report(frame).analysis("os_by_risk_group")
        fit = kaplan_meier(frame.os_time_days, frame.os_event, group=frame.risk_group)
        assert [(r.group, r.n, r.events) for r in result.rows] == [
            (ALL, len(frame), int(frame.os_event.sum())),
            *((c.group, c.n, c.events) for c in fit.curves),
        ]

    def test_the_log_rank_p_value_is_the_estimators(self):
        """The test row carries the log-rank statistic and p-value of the same fit."""
        frame = endpoint_frame()
        (test,) = report(frame).analysis("os_by_risk_group").tests
        logrank = kaplan_meier(frame.os_time_days, frame.os_event, group=frame.risk_group).logrank
        assert (test.statistic, test.df, test.p_value) == (logrank.statistic, logrank.df, logrank.p_value)
        assert test.text.endswith(f"p = {logrank.p_value:.3f}") or test.text.endswith("p < 0.001")

    def test_the_age_groups_are_labelled_in_words(self):
        """OS after relapse by age compares "< 6 months" with "≥ 6 months", relapsed patients only."""
        frame = endpoint_frame()
        result = report(frame).analysis("os_after_relapse_by_age")
        relapsed = frame[frame.relapse_site.notna()]
        assert [r.group for r in result.rows] == [ALL, "< 6 months", "≥ 6 months"]
        assert result.rows[1].n == int(relapsed.age_under_6_months.sum())


class TestNotEstimable:
    def test_a_group_below_the_minimum_size_shows_no_estimate(self):
        """A group of 4 with the default minimum of 5 shows "not estimable" in every cell, with its n."""
        frame = endpoint_frame()
        frame.loc[frame.index[:4], "risk_group"] = "tiny"
        frame.loc[frame.index[4:], "risk_group"] = frame.loc[frame.index[4:], "risk_group"].replace(
            "tiny", "LR"
        )
        (row,) = [r for r in report(frame).analysis("efs_by_risk_group").rows if r.group == "tiny"]
        assert row.n == 4
        assert [c.text for c in row.cells] == [NOT_ESTIMABLE] * 3
        assert all(c.estimate is None for c in row.cells)

    def test_the_minimum_group_size_is_a_parameter(self):
        """With ``min_group_size=1`` the same group of 4 shows its estimates."""
        frame = endpoint_frame()
        frame.loc[frame.index[:4], "risk_group"] = "tiny"
        frame.loc[frame.index[:4], "efs_time_days"] = 3000
        rows = report(frame, min_group_size=1).analysis("efs_by_risk_group").rows
        (row,) = [r for r in rows if r.group == "tiny"]
        assert NOT_ESTIMABLE not in [c.text for c in row.cells]

    def test_no_one_at_risk_at_a_year_is_not_estimable(self):
        """A group whose follow-up all ends before 4 years shows 3 years but not 4 or 5."""
        frame = endpoint_frame()
        lr = frame.risk_group == "LR"
        frame.loc[lr, "efs_time_days"] = np.minimum(frame.loc[lr, "efs_time_days"], 1200)
        frame.loc[lr & (frame.index % 2 == 0), "efs_time_days"] = 1200
        frame.loc[lr, "efs_event"] = 0
        (row,) = [r for r in report(frame).analysis("efs_by_risk_group").rows if r.group == "LR"]
        assert [c.n_risk > 0 for c in row.cells] == [True, False, False]
        assert row.cells[0].text != NOT_ESTIMABLE
        assert [c.text for c in row.cells[1:]] == [NOT_ESTIMABLE] * 2

    def test_incidence_after_the_last_follow_up_is_not_estimable(self):
        """Cumulative incidence of a group followed to 1200 days at most is not estimable at 4 years."""
        frame = endpoint_frame()
        hr = frame.risk_group == "HR"
        frame.loc[hr, "relapse_time_days"] = np.minimum(frame.loc[hr, "relapse_time_days"], 1200)
        rows = report(frame).analysis("relapse_incidence_by_risk_group").rows
        for row in (r for r in rows if r.group == "HR"):
            assert [c.text == NOT_ESTIMABLE for c in row.cells] == [False, True, True]

    def test_pending_risk_groups_are_left_out_of_the_comparison(self):
        """Patients whose risk group is still pending are counted as left out, not compared."""
        frame = endpoint_frame()
        frame.loc[frame.index[:6], "risk_group"] = "pending"
        result = report(frame).analysis("efs_by_risk_group")
        assert "pending" not in [r.group for r in result.rows]
        assert result.excluded == 6
        assert result.rows[0].n == len(frame) - 6

    def test_a_test_that_cannot_be_computed_says_so(self):
        """With one group only, the table says no comparison is possible instead of a p-value."""
        frame = endpoint_frame()
        frame["risk_group"] = "IR"
        (test,) = report(frame).analysis("efs_by_risk_group").tests
        assert test.p_value is None
        assert "no comparison" in test.text

    def test_an_empty_population_gives_a_message_not_numbers(self):
        """Without any second-HSCT remission status recorded, that analysis has no rows and says why."""
        frame = endpoint_frame()
        frame["remission_before_second_hsct"] = pd.Series([None] * len(frame), dtype="boolean")
        result = report(frame).analysis("os_after_relapse_by_remission_before_second_hsct")
        assert result.rows == ()
        assert result.fit is None
        assert result.message


class TestIncidenceTables:
    def test_cells_are_the_cuminc_estimates_with_their_standard_errors(self):
        """Relapse and death-in-remission cells are cuminc's estimate and sqrt(variance) at each year."""
        frame = endpoint_frame()
        result = report(frame).analysis("relapse_incidence")
        fit = cumulative_incidence(frame.relapse_time_days, frame.relapse_cause)
        for row, code in zip(result.rows, (1, 2), strict=True):
            points = fit.curve("all", code).at(TIMES)
            assert [c.estimate for c in row.cells] == [p["estimate"] for p in points]
            assert [c.std_err for c in row.cells] == pytest.approx([np.sqrt(p["variance"]) for p in points])
        assert [(r.cause, r.events) for r in result.rows] == [
            ("relapse", int((frame.relapse_cause == 1).sum())),
            ("death in remission", int((frame.relapse_cause == 2).sum())),
        ]

    def test_grays_test_is_reported_for_each_cause(self):
        """The by-risk-group analysis carries Gray's statistic and p-value of cuminc for both causes."""
        frame = endpoint_frame()
        result = report(frame).analysis("relapse_incidence_by_risk_group")
        gray = cumulative_incidence(
            frame.relapse_time_days, frame.relapse_cause, group=frame.risk_group
        ).gray_test
        assert [(t.statistic, t.p_value) for t in result.tests] == [
            (r.statistic, r.p_value) for r in gray.rows
        ]


class TestInput:
    def test_a_pyarrow_table_gives_the_same_report_as_a_data_frame(self):
        """The dataset may come as an Arrow table (the store's output) or a DataFrame."""
        frame = endpoint_frame()
        from_arrow = report(pa.Table.from_pandas(frame, preserve_index=False))
        from_pandas = report(frame)
        for a, b in zip(from_arrow.analyses, from_pandas.analyses, strict=True):
            assert [[c.text for c in r.cells] for r in a.rows] == [[c.text for c in r.cells] for r in b.rows]

    def test_a_dataset_without_the_extended_columns_is_refused(self):
        """Missing columns are refused, naming them."""
        frame = endpoint_frame().drop(columns=["os_after_relapse_time_days"])
        with pytest.raises(InputError, match="os_after_relapse_time_days"):
            report(frame)

    def test_a_dataset_without_enrolled_patients_is_refused(self):
        """No enrolled patient means nothing to analyse: refused."""
        frame = endpoint_frame()
        frame["protocol_id"] = None
        with pytest.raises(InputError, match="enrolled"):
            report(frame)

    def test_years_must_be_positive(self):
        """A zero year is refused, naming ``years``."""
        with pytest.raises(InputError, match="years"):
            report(endpoint_frame(), years=(0, 3))


class TestIncidenceLimits:
    """95% limits of a cumulative incidence: log(-log) scale, inside (0, 1), around the estimate."""

    def test_the_transform(self):
        estimate, std_err = 0.3, 0.05
        spread = 1.959963984540054 * std_err / (estimate * math.log(estimate))
        assert incidence_limits(estimate, std_err) == pytest.approx(
            (estimate ** math.exp(-spread), estimate ** math.exp(spread)), rel=1e-12
        )

    @pytest.mark.parametrize("estimate", [0.02, 0.05, 0.5, 0.95, 0.98])
    def test_limits_stay_inside_zero_and_one_around_the_estimate(self, estimate: float):
        lower, upper = incidence_limits(estimate, 0.1)
        assert lower is not None
        assert upper is not None
        assert 0.0 < lower < estimate < upper < 1.0

    @pytest.mark.parametrize(
        ("estimate", "std_err"), [(0.0, 0.1), (1.0, 0.1), (0.3, float("nan")), (None, 0.1)]
    )
    def test_no_limits_where_the_transform_has_none(self, estimate, std_err):
        assert incidence_limits(estimate, std_err) == (None, None)
