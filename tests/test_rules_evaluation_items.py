"""Evaluation of list, window, date, MRD and logic tests, and their traces."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from remission.rules import (
    Evaluation,
    Truth,
)
from support.evaluation import MRD_RULES
from support.evaluation import record_with as _record
from support.evaluation import run_expression as _run
from support.evaluation import steroid as _steroid


class TestAnyItem:
    SYSTEMIC: ClassVar[dict[str, Any]] = {
        "any_item": {"list": "prior_steroids", "where": {"field": "systemic", "equals": True}}
    }

    def test_absent_list_is_unknown(self):
        """An unrecorded list is unknown and named as missing."""
        evaluation = _run(self.SYSTEMIC, _record())

        assert (
            evaluation.truth,
            evaluation.missing,
            evaluation.inputs,
        ) == (Truth.UNKNOWN, ("prior_steroids",), {"prior_steroids": None})

    def test_empty_list_is_not_met(self):
        """A recorded empty list is not met, and the trace shows the empty list."""
        evaluation = _run(self.SYSTEMIC, _record(prior_steroids=[]))

        assert (evaluation.truth, evaluation.inputs) == (Truth.NOT_MET, {"prior_steroids": []})

    def test_matching_item_is_met(self):
        """One matching item makes the test met."""
        steroids = [
            _steroid("2025-01-01", "2025-01-03", systemic=False),
            _steroid("2025-02-01", "2025-02-03"),
        ]

        assert _run(self.SYSTEMIC, _record(prior_steroids=steroids)).truth is Truth.MET

    def test_no_matching_item_is_not_met(self):
        """No matching item makes the test not met."""
        steroids = [_steroid("2025-01-01", "2025-01-03", systemic=False)]

        assert _run(self.SYSTEMIC, _record(prior_steroids=steroids)).truth is Truth.NOT_MET

    def test_item_paths_in_inputs(self):
        """Inputs read inside items are named with the item's index."""
        steroids = [
            _steroid("2025-01-01", "2025-01-03", systemic=False),
            _steroid("2025-02-01", "2025-02-03"),
        ]

        evaluation = _run(self.SYSTEMIC, _record(prior_steroids=steroids))

        assert evaluation.all_inputs() == {
            "prior_steroids[0].systemic": False,
            "prior_steroids[1].systemic": True,
        }

    def test_item_missing_paths_have_index(self):
        """A missing field inside an item is named with the item's index."""
        expression = {
            "any_item": {"list": "prior_steroids", "where": {"field": "end_date", "equals": "2025-02-03"}}
        }
        steroids = [_steroid("2025-01-01", "2025-01-03"), _steroid("2025-01-01", None)]

        evaluation = _run(expression, _record(prior_steroids=steroids))

        assert (evaluation.truth, evaluation.all_missing()) == (Truth.UNKNOWN, ["prior_steroids[1].end_date"])

    def test_one_child_per_item(self):
        """The trace has one child evaluation per item."""
        steroids = [_steroid("2025-01-01", "2025-01-03")] * 3

        assert len(_run(self.SYSTEMIC, _record(prior_steroids=steroids)).children) == 3

    def test_default_empty_list(self):
        """A list that defaults to empty (mrd) is not met rather than unknown."""
        expression = {
            "any_item": {"list": "mrd", "where": {"field": "positive_not_quantifiable", "equals": True}}
        }

        assert _run(expression, _record()).truth is Truth.NOT_MET


class TestOverlapsWindow:
    @staticmethod
    def _window(end: str | None, start: str = "2025-05-01", days: Any = 14) -> Evaluation:
        expression = {
            "any_item": {
                "list": "prior_steroids",
                "where": {
                    "overlaps_window": {
                        "start": "start_date",
                        "end": "end_date",
                        "days_before": days,
                        "reference": "study_entry",
                    }
                },
            }
        }
        record = _record(study_entry_date="2025-06-12", prior_steroids=[_steroid(start, end)])
        return _run(expression, record, {"steroid_days": 14})

    def test_end_exactly_days_before_reference_is_met(self):
        """A course ending exactly days_before days before the reference overlaps the window."""
        assert self._window("2025-05-29").truth is Truth.MET

    def test_end_one_day_earlier_is_not_met(self):
        """A course ending one day before the window starts does not overlap it."""
        assert self._window("2025-05-28").truth is Truth.NOT_MET

    def test_ongoing_course_is_met(self):
        """A course without an end date (ongoing) that started before the reference overlaps."""
        assert self._window(None, start="2024-01-01").truth is Truth.MET

    def test_course_starting_on_the_reference_is_met(self):
        """A course starting on the reference date overlaps the window (both ends included)."""
        assert self._window(None, start="2025-06-12").truth is Truth.MET

    def test_course_starting_after_the_reference_is_not_met(self):
        """A course starting after the reference date does not overlap."""
        assert self._window("2025-06-20", start="2025-06-13").truth is Truth.NOT_MET

    def test_days_before_as_param(self):
        """days_before may be a parameter."""
        assert self._window("2025-05-29", days={"param": "steroid_days"}).truth is Truth.MET

    def test_inputs_name_item_fields_and_reference(self):
        """The trace names the item's dates by path and the reference date by its source."""
        evaluation = self._window("2025-05-29")

        assert evaluation.all_inputs() == {
            "prior_steroids[0].start_date": "2025-05-01",
            "prior_steroids[0].end_date": "2025-05-29",
            "study_entry_date": "2025-06-12",
        }

    def test_missing_reference_is_unknown(self):
        """Without the reference date the window test is unknown and names it."""
        expression = {
            "any_item": {
                "list": "prior_steroids",
                "where": {
                    "overlaps_window": {
                        "start": "start_date",
                        "end": "end_date",
                        "days_before": 14,
                        "reference": "diagnosis",
                    }
                },
            }
        }

        evaluation = _run(expression, _record(prior_steroids=[_steroid("2025-05-01", None)]))

        assert (evaluation.truth, evaluation.all_missing()) == (Truth.UNKNOWN, ["diagnosis.date"])


class TestOnOrBefore:
    EXPRESSION: ClassVar[dict[str, Any]] = {
        "on_or_before": {"field": "consent.date", "reference": "study_entry"}
    }

    @staticmethod
    def _consent(day: str) -> dict[str, Any]:
        return {"given_by": "parents", "date": day, "form_version": "1"}

    @pytest.mark.parametrize(
        ("day", "expected"),
        [("2025-06-11", Truth.MET), ("2025-06-12", Truth.MET), ("2025-06-13", Truth.NOT_MET)],
    )
    def test_compares_with_reference(self, day, expected):
        """A date before or on the reference is met; a date after it is not."""
        record = _record(study_entry_date="2025-06-12", consent=self._consent(day))

        assert _run(self.EXPRESSION, record).truth is expected

    def test_missing_field_is_unknown(self):
        """An unrecorded date is unknown and named as missing."""
        evaluation = _run(self.EXPRESSION, _record(study_entry_date="2025-06-12"))

        assert (evaluation.truth, evaluation.missing) == (Truth.UNKNOWN, ("consent.date",))

    def test_missing_reference_is_unknown(self):
        """An unrecorded reference date is unknown and named as missing."""
        expression = {"on_or_before": {"field": "consent.date", "reference": "diagnosis"}}

        evaluation = _run(expression, _record(consent=self._consent("2025-06-11")))

        assert (evaluation.truth, evaluation.missing) == (Truth.UNKNOWN, ("diagnosis.date",))

    def test_screening_date_fallback(self):
        """With study_entry unrecorded, the screening date is the reference."""
        evaluation = _run(self.EXPRESSION, _record(consent=self._consent("2026-01-16")))

        assert (
            evaluation.truth,
            evaluation.inputs["screening date (no study_entry_date recorded)"],
        ) == (Truth.NOT_MET, "2026-01-15")


class TestMRDTest:
    @staticmethod
    def _mrd(value: float, time_point: str = "end of induction") -> dict[str, Any]:
        return {
            "time_point": time_point,
            "method": "flow cytometry",
            "sample_date": "2025-07-20",
            "value_fraction": value,
            "sensitivity_fraction": 1e-5,
        }

    NEGATIVE: ClassVar[dict[str, Any]] = {"mrd": {"time_point": "end of induction", "result": "negative"}}

    def test_negative_result_meets_negative_test(self):
        """A negative MRD call meets a test for a negative result."""
        assert _run(self.NEGATIVE, _record(mrd=[self._mrd(0.0)]), mrd_rules=MRD_RULES).truth is Truth.MET

    def test_positive_result_fails_negative_test(self):
        """A positive MRD call does not meet a test for a negative result."""
        assert _run(self.NEGATIVE, _record(mrd=[self._mrd(0.01)]), mrd_rules=MRD_RULES).truth is Truth.NOT_MET

    def test_positive_result_meets_positive_test(self):
        """A positive MRD call meets a test for a positive result."""
        expression = {"mrd": {"time_point": "end of induction", "result": "positive"}}

        assert _run(expression, _record(mrd=[self._mrd(0.01)]), mrd_rules=MRD_RULES).truth is Truth.MET

    def test_no_result_is_unknown(self):
        """Without a result at the time point the test is unknown and names the time point."""
        evaluation = _run(self.NEGATIVE, _record(mrd=[self._mrd(0.0, "follow-up")]), mrd_rules=MRD_RULES)

        assert (
            evaluation.truth,
            evaluation.missing,
            evaluation.inputs,
        ) == (Truth.UNKNOWN, ("mrd[end of induction]",), {"mrd[end of induction]": []})

    def test_inputs_hold_results_read(self):
        """The trace holds the results at the time point as JSON data."""
        evaluation = _run(self.NEGATIVE, _record(mrd=[self._mrd(0.0)]), mrd_rules=MRD_RULES)

        assert [result["value_fraction"] for result in evaluation.inputs["mrd[end of induction]"]] == [0.0]

    def test_without_rules_raises(self):
        """An mrd test evaluated without MRD rules raises LookupError."""
        with pytest.raises(LookupError, match="needs the protocol's mrd parameters"):
            _run(self.NEGATIVE, _record(mrd=[self._mrd(0.0)]))


class TestLogic:
    def test_all_combines_with_kleene_and(self):
        """`all` is unknown when one child is unknown and the others met."""
        expression = {
            "all": [{"field": "cns_status", "equals": "CNS1"}, {"field": "prior_hsct", "equals": False}]
        }

        evaluation = _run(expression, _record(cns_status="CNS1"))

        assert (evaluation.truth, evaluation.label, len(evaluation.children)) == (Truth.UNKNOWN, "all of", 2)

    def test_all_not_met_despite_unknown(self):
        """`all` is not met when one child is not met, even with another unknown."""
        expression = {
            "all": [{"field": "cns_status", "equals": "CNS1"}, {"field": "prior_hsct", "equals": False}]
        }

        assert _run(expression, _record(cns_status="CNS3")).truth is Truth.NOT_MET

    def test_any_met_despite_unknown(self):
        """`any` is met when one child is met, even with another unknown."""
        expression = {
            "any": [{"field": "cns_status", "equals": "CNS1"}, {"field": "prior_hsct", "equals": False}]
        }

        evaluation = _run(expression, _record(prior_hsct=False))

        assert (evaluation.truth, evaluation.label) == (Truth.MET, "any of")

    def test_not_negates(self):
        """`not` turns met into not met."""
        evaluation = _run({"not": {"field": "prior_hsct", "equals": True}}, _record(prior_hsct=True))

        assert (evaluation.truth, evaluation.label) == (Truth.NOT_MET, "not")

    def test_not_keeps_unknown(self):
        """`not` of an unknown is unknown, and the missing path is still reported."""
        evaluation = _run({"not": {"field": "prior_hsct", "equals": True}}, _record())

        assert (evaluation.truth, evaluation.all_missing()) == (Truth.UNKNOWN, ["prior_hsct"])


class TestTraces:
    EXPRESSION: ClassVar[dict[str, Any]] = {
        "all": [
            {"field": "cns_status", "equals": "CNS1"},
            {"not": {"field": "prior_hsct", "equals": True}},
        ]
    }

    def test_to_dict(self):
        """to_dict gives outcome and test for each node, with inputs, missing and children when present."""
        evaluation = _run(self.EXPRESSION, _record(cns_status="CNS1"))

        assert evaluation.to_dict() == {
            "outcome": "unknown",
            "test": "all of",
            "children": [
                {"outcome": "met", "test": "cns_status = CNS1", "inputs": {"cns_status": "CNS1"}},
                {
                    "outcome": "unknown",
                    "test": "not",
                    "children": [
                        {
                            "outcome": "unknown",
                            "test": "prior_hsct = true",
                            "inputs": {"prior_hsct": None},
                            "missing": ["prior_hsct"],
                        }
                    ],
                },
            ],
        }

    def test_all_inputs_merges_the_tree(self):
        """all_inputs collects the inputs of every node."""
        evaluation = _run(self.EXPRESSION, _record(cns_status="CNS1", prior_hsct=False))

        assert evaluation.all_inputs() == {"cns_status": "CNS1", "prior_hsct": False}

    def test_all_missing_is_deduplicated_in_order(self):
        """all_missing lists each missing path once, in the order first met."""
        expression = {
            "any": [
                {"field": "cns_status", "equals": "CNS1"},
                {"field": "prior_hsct", "equals": True},
                {"field": "cns_status", "equals": "CNS2"},
            ]
        }

        assert _run(expression, _record()).all_missing() == ["cns_status", "prior_hsct"]

    def test_walk_is_depth_first(self):
        """walk yields a node before its children, depth first."""
        evaluation = _run(self.EXPRESSION, _record())

        assert [node.label for node in evaluation.walk()] == [
            "all of",
            "cns_status = CNS1",
            "not",
            "prior_hsct = true",
        ]

    def test_to_dict_values_are_json_ready(self):
        """Enum and date inputs appear as their JSON strings in the trace."""
        evaluation = _run(
            {"on_or_before": {"field": "diagnosis.date", "reference": "study_entry"}},
            _record(diagnosis={"date": "2025-06-10"}, study_entry_date="2025-06-12"),
        )

        assert evaluation.to_dict()["inputs"] == {
            "diagnosis.date": "2025-06-10",
            "study_entry_date": "2025-06-12",
        }
