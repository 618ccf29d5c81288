"""One count table for all groups gives each group the curve it gets alone (the previous path).

Kaplan–Meier and the cumulative incidence now tabulate every group at once (one sort at most) and
take each group's rows from the shared table; before, each group was sorted and tabulated on its own.
Fitting a group's subjects alone is that previous path, so the two must agree exactly.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from remission.stats.cumulative_incidence import cumulative_incidence
from remission.stats.kaplan_meier import kaplan_meier


@st.composite
def cohorts(draw):
    n = draw(st.integers(6, 60))
    whole_days = draw(st.booleans())
    values = st.integers(0, 25) if whole_days else st.sampled_from([0.0, 0.5, 1.25, 2.0, 3.5, 8.0, 13.75])
    time = np.array(draw(st.lists(values, min_size=n, max_size=n)), dtype=np.float64)
    cause = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), dtype=np.int64)
    group = np.array(draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n)))
    return time, cause, group


@given(cohorts())
@settings(max_examples=150, deadline=None)
def test_kaplan_meier_groups_equal_each_group_alone(cohort):
    time, cause, group = cohort
    event = (cause > 0).astype(int)
    fit = kaplan_meier(time, event, group=group)
    for curve in fit.curves:
        member = group == curve.group
        alone = kaplan_meier(time[member], event[member]).curves[0]
        assert (curve.n, curve.events, curve.median) == (alone.n, alone.events, alone.median)
        for name in ("time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper"):
            np.testing.assert_array_equal(getattr(curve, name), getattr(alone, name), err_msg=name)


@given(cohorts())
@settings(max_examples=150, deadline=None)
def test_incidence_groups_equal_each_group_alone(cohort):
    time, cause, group = cohort
    if not np.any(cause > 0):
        return  # no event at all is refused; tested elsewhere
    fit = cumulative_incidence(time, cause, group=group)
    for curve in fit.curves:
        member = group == curve.group
        if not np.any(cause[member] == curve.cause):
            continue  # the group alone would not estimate this cause (no event of it)
        alone = cumulative_incidence(time[member], cause[member]).curve("all", curve.cause)
        for name in ("time", "estimate", "variance"):
            np.testing.assert_array_equal(getattr(curve, name), getattr(alone, name), err_msg=name)
