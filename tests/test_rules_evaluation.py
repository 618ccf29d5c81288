"""Tests for remission.rules.evaluation: three-valued evaluation of expressions, with traces."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import pytest
from pydantic import TypeAdapter, ValidationError

from remission.record.model import PatientRecord
from remission.rules import (
    DisagreementPolicy,
    Evaluation,
    EvaluationContext,
    Expression,
    MRDRules,
    PNQPolicy,
    Truth,
    evaluate,
    reference_dates,
)

AS_OF = date(2026, 1, 15)
_EXPRESSION: TypeAdapter[Any] = TypeAdapter(Expression)

MRD_RULES = MRDRules(
    threshold_fraction=1e-4,
    positive_at_threshold=True,
    pnq=PNQPolicy.POSITIVE,
    require_sensitivity_for_negative=True,
    policy=DisagreementPolicy.ANY_POSITIVE,
)


def _record(**fields: Any) -> PatientRecord:
    """A record of a child born 2018-04-02, with ``fields`` added or replaced."""
    return PatientRecord.model_validate(
        {"patient": {"study_id": "P-001", "date_of_birth": "2018-04-02"}} | fields
    )


def _run(
    expression: dict[str, Any],
    record: PatientRecord,
    parameters: dict[str, Any] | None = None,
    mrd_rules: MRDRules | None = None,
) -> Evaluation:
    ctx = EvaluationContext(
        record=record,
        parameters=parameters or {},
        references=reference_dates(record, as_of=AS_OF),
        mrd_rules=mrd_rules,
    )
    return evaluate(_EXPRESSION.validate_python(expression), ctx)


def _steroid(start: str, end: str | None, *, systemic: bool = True) -> dict[str, Any]:
    return {"drug": "prednisone", "systemic": systemic, "start_date": start, "end_date": end}


class TestExpressionParsing:
    def test_unknown_key_rejected(self):
        """A mapping without an expression key is rejected with the list of keys."""
        with pytest.raises(ValidationError, match="an expression needs one of the keys"):
            _EXPRESSION.validate_python({"feld": "cns_status", "equals": "CNS1"})

    def test_two_comparators_rejected(self):
        """A field test with two comparators is rejected."""
        with pytest.raises(ValidationError, match="needs exactly one of"):
            _EXPRESSION.validate_python({"field": "cns_status", "equals": "CNS1", "present": True})

    def test_no_comparator_rejected(self):
        """A field test without a comparator is rejected."""
        with pytest.raises(ValidationError, match="needs exactly one of"):
            _EXPRESSION.validate_python({"field": "cns_status"})

    def test_empty_all_rejected(self):
        """An `all` with no children is rejected rather than evaluated as vacuously met."""
        with pytest.raises(ValidationError):
            _EXPRESSION.validate_python({"all": []})

    def test_empty_any_rejected(self):
        """An `any` with no children is rejected."""
        with pytest.raises(ValidationError):
            _EXPRESSION.validate_python({"any": []})

    def test_age_needs_one_ordering(self):
        """An age test with two bounds is rejected."""
        with pytest.raises(ValidationError, match="exactly one of lt, le, gt, ge"):
            _EXPRESSION.validate_python({"age": {"on": "diagnosis", "unit": "years", "ge": 1, "lt": 18}})


class TestFieldEquals:
    def test_equal_is_met(self):
        """An equal recorded value is met, and the trace shows path and value."""
        evaluation = _run(
            {"field": "diagnosis.who_type", "equals": "B-ALL"}, _record(diagnosis={"who_type": "B-ALL"})
        )

        assert (
            evaluation.truth,
            evaluation.label,
            evaluation.inputs,
        ) == (Truth.MET, "diagnosis.who_type = B-ALL", {"diagnosis.who_type": "B-ALL"})

    def test_different_is_not_met(self):
        """A different recorded value is not met."""
        evaluation = _run(
            {"field": "diagnosis.who_type", "equals": "B-ALL"}, _record(diagnosis={"who_type": "AML"})
        )

        assert evaluation.truth is Truth.NOT_MET

    def test_missing_is_unknown(self):
        """An unrecorded value is unknown and its path is listed as missing."""
        evaluation = _run({"field": "diagnosis.who_type", "equals": "B-ALL"}, _record(diagnosis={}))

        assert (
            evaluation.truth,
            evaluation.missing,
            evaluation.inputs,
        ) == (Truth.UNKNOWN, ("diagnosis.who_type",), {"diagnosis.who_type": None})

    def test_missing_parent_is_unknown(self):
        """A path through an unrecorded parent is unknown with the full path missing."""
        evaluation = _run({"field": "genetics.kmt2a.status", "equals": "rearranged"}, _record())

        assert (evaluation.truth, evaluation.missing) == (Truth.UNKNOWN, ("genetics.kmt2a.status",))

    def test_false_is_a_value(self):
        """A recorded false is compared, not treated as missing."""
        evaluation = _run({"field": "prior_hsct", "equals": False}, _record(prior_hsct=False))

        assert (evaluation.truth, evaluation.missing) == (Truth.MET, ())


class TestFieldIn:
    def test_member_is_met(self):
        """A value in the list is met."""
        evaluation = _run(
            {"field": "diagnosis.who_type", "in": ["B-ALL", "T-ALL"]},
            _record(diagnosis={"who_type": "T-ALL"}),
        )

        assert (evaluation.truth, evaluation.label) == (Truth.MET, "diagnosis.who_type in [B-ALL, T-ALL]")

    def test_non_member_is_not_met(self):
        """A value outside the list is not met."""
        evaluation = _run(
            {"field": "diagnosis.who_type", "in": ["B-ALL", "T-ALL"]}, _record(diagnosis={"who_type": "AML"})
        )

        assert evaluation.truth is Truth.NOT_MET

    def test_missing_is_unknown(self):
        """An unrecorded value is unknown."""
        evaluation = _run({"field": "cns_status", "in": ["CNS1", "CNS2"]}, _record())

        assert (evaluation.truth, evaluation.missing) == (Truth.UNKNOWN, ("cns_status",))


class TestFieldOrderings:
    @pytest.mark.parametrize(
        ("operator", "value", "expected"),
        [
            ("lt", 49.9, Truth.MET),
            ("lt", 50, Truth.NOT_MET),
            ("le", 50, Truth.MET),
            ("le", 50.1, Truth.NOT_MET),
            ("gt", 50.1, Truth.MET),
            ("gt", 50, Truth.NOT_MET),
            ("ge", 50, Truth.MET),
            ("ge", 49.9, Truth.NOT_MET),
        ],
    )
    def test_compares_with_bound(self, operator, value, expected):
        """Each ordering compares the recorded value with the bound, the boundary included or not."""
        evaluation = _run(
            {"field": "wbc_at_diagnosis_1e9_per_l", operator: 50}, _record(wbc_at_diagnosis_1e9_per_l=value)
        )

        assert evaluation.truth is expected

    @pytest.mark.parametrize("operator", ["lt", "le", "gt", "ge"])
    def test_missing_is_unknown(self, operator):
        """An unrecorded number is unknown for every ordering."""
        evaluation = _run({"field": "wbc_at_diagnosis_1e9_per_l", operator: 50}, _record())

        assert (evaluation.truth, evaluation.missing) == (Truth.UNKNOWN, ("wbc_at_diagnosis_1e9_per_l",))

    def test_label_uses_symbol(self):
        """The label writes the ordering as a mathematical symbol."""
        evaluation = _run(
            {"field": "wbc_at_diagnosis_1e9_per_l", "ge": 50}, _record(wbc_at_diagnosis_1e9_per_l=1)
        )

        assert evaluation.label == "wbc_at_diagnosis_1e9_per_l ≥ 50"


class TestFieldPresent:
    def test_recorded_is_met(self):
        """present: true is met by a recorded value."""
        evaluation = _run({"field": "cns_status", "present": True}, _record(cns_status="CNS1"))

        assert (evaluation.truth, evaluation.label) == (Truth.MET, "cns_status is recorded")

    def test_unrecorded_is_not_met_not_unknown(self):
        """present: true on an unrecorded value is not met (presence itself is known)."""
        evaluation = _run({"field": "cns_status", "present": True}, _record())

        assert (evaluation.truth, evaluation.missing) == (Truth.NOT_MET, ())

    def test_not_present_is_met_when_unrecorded(self):
        """present: false is met by an unrecorded value."""
        evaluation = _run({"field": "cns_status", "present": False}, _record())

        assert (evaluation.truth, evaluation.label) == (Truth.MET, "cns_status is not recorded")

    def test_empty_list_is_recorded(self):
        """An empty list counts as recorded."""
        evaluation = _run({"field": "syndromes", "present": True}, _record(syndromes=[]))

        assert evaluation.truth is Truth.MET


class TestFieldContainsAny:
    def test_shared_item_is_met(self):
        """A list sharing an item with the wanted values is met."""
        evaluation = _run(
            {"field": "syndromes", "contains_any": ["Down syndrome", "Fanconi anemia"]},
            _record(syndromes=["Bloom syndrome", "Down syndrome"]),
        )

        assert (
            evaluation.truth,
            evaluation.inputs,
        ) == (Truth.MET, {"syndromes": ["Bloom syndrome", "Down syndrome"]})

    def test_no_shared_item_is_not_met(self):
        """A list without any wanted value is not met."""
        evaluation = _run(
            {"field": "syndromes", "contains_any": ["Down syndrome"]}, _record(syndromes=["Bloom syndrome"])
        )

        assert evaluation.truth is Truth.NOT_MET

    def test_recorded_empty_list_is_not_met(self):
        """A recorded empty list (assessed, none found) is not met."""
        evaluation = _run({"field": "syndromes", "contains_any": ["Down syndrome"]}, _record(syndromes=[]))

        assert evaluation.truth is Truth.NOT_MET

    def test_unrecorded_list_is_unknown(self):
        """An unrecorded list is unknown."""
        evaluation = _run({"field": "syndromes", "contains_any": ["Down syndrome"]}, _record())

        assert (evaluation.truth, evaluation.missing) == (Truth.UNKNOWN, ("syndromes",))

    def test_fusions(self):
        """contains_any works on lists of strings such as fusions."""
        evaluation = _run(
            {"field": "genetics.fusions", "contains_any": ["KMT2A::AFF1", "KMT2A::MLLT1"]},
            _record(genetics={"fusions": ["KMT2A::AFF1"]}),
        )

        assert evaluation.truth is Truth.MET


class TestParameters:
    def test_equals_param(self):
        """{param: NAME} in equals reads the parameter, and the label shows its value."""
        evaluation = _run(
            {"field": "cns_status", "equals": {"param": "cns"}}, _record(cns_status="CNS3"), {"cns": "CNS3"}
        )

        assert (evaluation.truth, evaluation.label) == (Truth.MET, "cns_status = CNS3")

    def test_ordering_param(self):
        """{param: NAME} as an ordering bound reads the parameter."""
        evaluation = _run(
            {"field": "wbc_at_diagnosis_1e9_per_l", "ge": {"param": "high_wbc"}},
            _record(wbc_at_diagnosis_1e9_per_l=300),
            {"high_wbc": 300},
        )

        assert (evaluation.truth, evaluation.label) == (Truth.MET, "wbc_at_diagnosis_1e9_per_l ≥ 300")

    def test_param_inside_in_list(self):
        """Parameters may be items of an `in` list, next to literal values."""
        evaluation = _run(
            {"field": "diagnosis.who_type", "in": [{"param": "lineage"}, "T-ALL"]},
            _record(diagnosis={"who_type": "B-ALL"}),
            {"lineage": "B-ALL"},
        )

        assert evaluation.truth is Truth.MET

    def test_param_changes_outcome(self):
        """The same expression with another parameter value gives another outcome."""
        evaluation = _run(
            {"field": "wbc_at_diagnosis_1e9_per_l", "ge": {"param": "high_wbc"}},
            _record(wbc_at_diagnosis_1e9_per_l=300),
            {"high_wbc": 300.5},
        )

        assert evaluation.truth is Truth.NOT_MET

    def test_param_as_reference_date(self):
        """The reference date of an age test may be a parameter."""
        evaluation = _run(
            {"age": {"on": {"param": "age_on"}, "unit": "years", "lt": 18}},
            _record(diagnosis={"date": "2025-06-10"}),
            {"age_on": "diagnosis"},
        )

        assert (evaluation.label, evaluation.truth) == ("age at diagnosis < 18 years", Truth.MET)

    def test_undefined_param_raises(self):
        """An undefined parameter at evaluation raises KeyError (load-time checks catch it first)."""
        with pytest.raises(KeyError):
            _run({"field": "cns_status", "equals": {"param": "nope"}}, _record(cns_status="CNS1"))


class TestAgeTest:
    def test_age_at_diagnosis(self):
        """The age is derived at the diagnosis date, and the trace records both dates and the age."""
        evaluation = _run(
            {"age": {"on": "diagnosis", "unit": "years", "lt": 18}}, _record(diagnosis={"date": "2025-06-10"})
        )

        assert (
            evaluation.truth,
            evaluation.inputs,
        ) == (
            Truth.MET,
            {
                "patient.date_of_birth": "2018-04-02",
                "diagnosis.date": "2025-06-10",
                "age (years, derived)": 7,
            },
        )

    def test_first_birthday_boundary(self):
        """The age in years reaches 1 on the first birthday, not the day before."""
        expression = {"age": {"on": "diagnosis", "unit": "years", "ge": 1}}
        born = {"study_id": "P-001", "date_of_birth": "2025-02-10"}

        outcomes = [
            _run(expression, _record(patient=born, diagnosis={"date": day})).truth
            for day in ("2026-02-09", "2026-02-10")
        ]

        assert outcomes == [Truth.NOT_MET, Truth.MET]

    def test_days_unit(self):
        """Ages can be tested in days."""
        evaluation = _run(
            {"age": {"on": "diagnosis", "unit": "days", "lt": 365}},
            _record(
                patient={"study_id": "P-001", "date_of_birth": "2024-01-01"}, diagnosis={"date": "2024-12-31"}
            ),
        )

        assert (evaluation.truth, evaluation.inputs["age (days, derived)"]) == (Truth.NOT_MET, 365)

    def test_months_unit(self):
        """Ages can be tested in completed months."""
        evaluation = _run(
            {"age": {"on": "diagnosis", "unit": "months", "le": 86}},
            _record(diagnosis={"date": "2025-06-10"}),
        )

        assert (evaluation.truth, evaluation.inputs["age (months, derived)"]) == (Truth.MET, 86)

    def test_age_at_recorded_study_entry(self):
        """study_entry reads study_entry_date when it is recorded."""
        evaluation = _run(
            {"age": {"on": "study_entry", "unit": "years", "ge": 8}}, _record(study_entry_date="2026-04-02")
        )

        assert (evaluation.truth, evaluation.inputs["study_entry_date"]) == (Truth.MET, "2026-04-02")

    def test_study_entry_falls_back_to_screening_date(self):
        """Without study_entry_date, study_entry is the screening date and the trace says so."""
        evaluation = _run({"age": {"on": "study_entry", "unit": "years", "ge": 8}}, _record())

        assert (
            evaluation.truth,
            evaluation.inputs["screening date (no study_entry_date recorded)"],
        ) == (Truth.NOT_MET, "2026-01-15")

    def test_missing_date_of_birth(self):
        """Without a date of birth the age test is unknown and names the missing field."""
        evaluation = _run(
            {"age": {"on": "diagnosis", "unit": "years", "lt": 18}},
            PatientRecord.model_validate(
                {"patient": {"study_id": "P-1"}, "diagnosis": {"date": "2025-06-10"}}
            ),
        )

        assert (evaluation.truth, evaluation.missing) == (Truth.UNKNOWN, ("patient.date_of_birth",))

    def test_missing_reference_date(self):
        """Without the diagnosis date an age at diagnosis is unknown and names diagnosis.date."""
        evaluation = _run({"age": {"on": "diagnosis", "unit": "years", "lt": 18}}, _record())

        assert (evaluation.truth, evaluation.missing) == (Truth.UNKNOWN, ("diagnosis.date",))


class TestReferenceDates:
    def test_recorded_dates(self):
        """Recorded diagnosis and study entry dates are used with their field names as source."""
        references = reference_dates(
            _record(diagnosis={"date": "2025-06-10"}, study_entry_date="2025-06-12"), as_of=AS_OF
        )

        assert [(date(2025, 6, 10), "diagnosis.date"), (date(2025, 6, 12), "study_entry_date")] == [
            (references[name].value, references[name].source) for name in ("diagnosis", "study_entry")
        ]

    def test_study_entry_defaults_to_as_of(self):
        """Without study_entry_date the study entry is the screening date, and the source says so."""
        entry = reference_dates(_record(), as_of=AS_OF)["study_entry"]

        assert (entry.value, entry.source) == (AS_OF, "screening date (no study_entry_date recorded)")

    def test_diagnosis_unrecorded(self):
        """Without a diagnosis the diagnosis reference date is None."""
        assert reference_dates(_record(), as_of=AS_OF)["diagnosis"].value is None


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
