"""MRD calls at one time point for a whole cohort, under a protocol's :class:`MRDRules`.

The same rules as :func:`remission.rules.classify_mrd`, on the flattened ``mrd`` items:
each measurement gets a call, then the calls of a record's measurements at the time point
combine under the disagreement policy. No measurement at the time point is indeterminate.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from remission.record.vocabulary import MRDTimePoint
from remission.rules.columnar.cohort import Cohort, View
from remission.rules.mrd import DisagreementPolicy, MRDCall, MRDRules

#: Codes of the calls.
NEGATIVE, INDETERMINATE, POSITIVE = np.int8(0), np.int8(1), np.int8(2)
_CODES = {MRDCall.NEGATIVE: NEGATIVE, MRDCall.INDETERMINATE: INDETERMINATE, MRDCall.POSITIVE: POSITIVE}


def _is(view: View, value: str) -> NDArray[np.bool_]:
    assert view.dictionary is not None
    assert view.data is not None
    if value not in view.dictionary:
        return np.zeros(len(view.valid), dtype=bool)
    hits: NDArray[np.bool_] = view.data == view.dictionary.index(value)
    return hits


def item_calls(cohort: Cohort, rules: MRDRules) -> NDArray[np.int8]:
    """The call of every single MRD measurement (flattened items of the ``mrd`` column)."""
    views = cohort.items("mrd").views
    value, pnq = views["value_fraction"], views["positive_not_quantifiable"]
    sensitivity = views["sensitivity_fraction"]
    threshold = rules.threshold_fraction
    above = (value.values > threshold) | (rules.positive_at_threshold & (value.values == threshold))
    calls = np.full(len(value.valid), NEGATIVE, dtype=np.int8)
    if rules.require_sensitivity_for_negative:
        weak = ~sensitivity.valid | (sensitivity.values > threshold)
        calls[weak] = INDETERMINATE
    calls[above] = POSITIVE
    calls[pnq.values] = _CODES[MRDCall(rules.pnq.value)]  # a PNQ result has no value to compare
    return calls


def _any_of(rows: NDArray[np.int64], mask: NDArray[np.bool_], length: int) -> NDArray[np.bool_]:
    return np.bincount(rows[mask], minlength=length) > 0


def mrd_calls(cohort: Cohort, time_point: MRDTimePoint, rules: MRDRules) -> NDArray[np.int8]:
    """The combined call per record at ``time_point`` (codes NEGATIVE, INDETERMINATE, POSITIVE)."""
    n = len(cohort)
    items = cohort.items("mrd")
    calls = item_calls(cohort, rules)
    at_point = _is(items.views["time_point"], time_point.value)
    rows = items.parents
    if rules.policy is DisagreementPolicy.ANY_POSITIVE:
        count = np.bincount(rows[at_point], minlength=n)
        negatives = np.bincount(rows[at_point & (calls == NEGATIVE)], minlength=n)
        out = np.full(n, INDETERMINATE, dtype=np.int8)
        out[(count > 0) & (negatives == count)] = NEGATIVE
        out[_any_of(rows, at_point & (calls == POSITIVE), n)] = POSITIVE
        return out
    out = np.full(n, INDETERMINATE, dtype=np.int8)
    settled = np.zeros(n, dtype=bool)
    for method in rules.method_priority:  # a loop over methods, not records
        by_method = at_point & _is(items.views["method"], method.value)
        positive = _any_of(rows, by_method & (calls == POSITIVE), n) & ~settled
        negative = _any_of(rows, by_method & (calls == NEGATIVE), n) & ~settled
        out[positive & ~negative] = POSITIVE
        out[negative & ~positive] = NEGATIVE
        # Both calls from one method: it disagrees with itself and the result stays indeterminate.
        settled |= positive | negative
    return out
