"""Vectorised MRD calls agree with classify_mrd under every policy choice."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remission.record import PatientRecord
from remission.record.vocabulary import MRDTimePoint
from remission.rules import MRDRules, classify_mrd
from remission.rules.columnar import cohort_from_records
from remission.rules.columnar.mrd import INDETERMINATE, NEGATIVE, POSITIVE, mrd_calls
from rules_columnar.strategies import mrd_rules, records

CODES = {NEGATIVE: "negative", INDETERMINATE: "indeterminate", POSITIVE: "positive"}
TIME_POINTS = [MRDTimePoint.AFTER_CONSOLIDATION_1, MRDTimePoint.END_OF_INDUCTION, MRDTimePoint.FOLLOW_UP]


class TestMRDCalls:
    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(records(), min_size=1, max_size=20), mrd_rules(), st.sampled_from(TIME_POINTS))
    def test_matches_classify_mrd(
        self, generated: list[PatientRecord], rules: MRDRules, time_point: MRDTimePoint
    ):
        """The call per record equals classify_mrd's call on that record's results."""
        calls = mrd_calls(cohort_from_records(generated), time_point, rules)

        expected = [classify_mrd(record.mrd, time_point, rules).call.value for record in generated]
        assert [CODES[code] for code in calls] == expected
