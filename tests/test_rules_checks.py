"""Tests for remission.rules.checks: static checks of expressions against the record model."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import TypeAdapter

from remission.record.model import PatientRecord
from remission.rules import Expression, expression_problems

_EXPRESSION: TypeAdapter[Any] = TypeAdapter(Expression)


def _problems(
    expression: dict[str, Any], parameters: dict[str, Any] | None = None, *, has_mrd_rules: bool = False
) -> list[str]:
    return expression_problems(
        _EXPRESSION.validate_python(expression),
        PatientRecord,
        parameters or {},
        has_mrd_rules=has_mrd_rules,
    )


def _steroids_where(where: dict[str, Any]) -> dict[str, Any]:
    return {"any_item": {"list": "prior_steroids", "where": where}}


def _window(**changes: Any) -> dict[str, Any]:
    spec = {"start": "start_date", "end": "end_date", "days_before": 30, "reference": "study_entry"}
    return _steroids_where({"overlaps_window": spec | changes})


SOUND = {
    "all": [
        {"field": "diagnosis.who_type", "in": ["B-ALL", {"param": "lineage"}]},
        {"field": "genetics.kmt2a.status", "equals": "rearranged"},
        {"field": "wbc_at_diagnosis_1e9_per_l", "ge": {"param": "high_wbc"}},
        {"field": "consent", "present": True},
        {"field": "genetics.fusions", "contains_any": ["KMT2A::AFF1"]},
        {"not": {"field": "syndromes", "contains_any": ["Down syndrome"]}},
        {"age": {"on": {"param": "age_reference"}, "unit": "days", "ge": 0}},
        {"age": {"on": "diagnosis", "unit": "years", "lt": {"param": "max_age"}}},
        {
            "any": [
                _window(days_before={"param": "steroid_days"}),
                _steroids_where({"field": "systemic", "equals": True}),
                {"any_item": {"list": "mrd", "where": {"field": "method", "equals": "NGS"}}},
            ]
        },
        {"on_or_before": {"field": "consent.date", "reference": "study_entry"}},
        {"mrd": {"time_point": "end of induction", "result": "negative"}},
    ]
}
SOUND_PARAMETERS = {
    "lineage": "T-ALL",
    "high_wbc": 300,
    "age_reference": "study_entry",
    "max_age": 18,
    "steroid_days": 14,
}


class TestSoundExpression:
    def test_no_problems(self):
        """An expression using every predicate correctly has no problems."""
        assert _problems(SOUND, SOUND_PARAMETERS, has_mrd_rules=True) == []


class TestUnknownFields:
    def test_unknown_field_is_named(self):
        """A path the record lacks is reported with the path up to the unknown part."""
        assert _problems({"field": "diagnosis.whotype", "equals": "B-ALL"}) == [
            "the record has no field 'diagnosis.whotype'"
        ]

    def test_unknown_top_level_field(self):
        """An unknown first part of a path is reported."""
        assert _problems({"field": "age_years", "ge": 1}) == ["the record has no field 'age_years'"]

    def test_path_through_a_scalar(self):
        """A path that continues past a field without subfields is reported."""
        assert _problems({"field": "cns_status.grade", "equals": "x"}) == [
            "cns_status has no fields (reading 'cns_status.grade')"
        ]

    def test_unknown_list(self):
        """any_item over an unknown list is reported."""
        assert _problems(
            {"any_item": {"list": "steroids", "where": {"field": "systemic", "equals": True}}}
        ) == ["the record has no field 'steroids'"]

    def test_item_fields_checked_against_the_item_model(self):
        """Paths inside any_item are checked against the item's model."""
        assert _problems(_steroids_where({"field": "dose", "gt": 1})) == [
            "in items of prior_steroids: the record has no field 'dose'"
        ]

    def test_record_fields_not_visible_inside_items(self):
        """A record-level path used inside any_item is not a field of the item."""
        assert _problems(_steroids_where({"field": "cns_status", "equals": "CNS1"})) == [
            "in items of prior_steroids: the record has no field 'cns_status'"
        ]

    def test_unknown_window_fields(self):
        """Unknown start and end fields of a window test are both reported."""
        assert _problems(_window(start="begin", end="finish")) == [
            "in items of prior_steroids: the record has no field 'begin'",
            "in items of prior_steroids: the record has no field 'finish'",
        ]

    def test_unknown_on_or_before_field(self):
        """An unknown field of an on_or_before test is reported."""
        assert _problems({"on_or_before": {"field": "consent.signed", "reference": "diagnosis"}}) == [
            "the record has no field 'consent.signed'"
        ]

    def test_problems_in_every_branch_are_collected(self):
        """Problems are found below all, any and not, and all of them are returned."""
        expression = {
            "all": [
                {"field": "a", "present": True},
                {"any": [{"field": "b", "present": True}, {"not": {"field": "c", "present": True}}]},
            ]
        }

        assert _problems(expression) == [
            "the record has no field 'a'",
            "the record has no field 'b'",
            "the record has no field 'c'",
        ]


class TestVocabulary:
    def test_equals_outside_vocabulary(self):
        """An equals value outside the field's enumeration is reported with the allowed values."""
        assert _problems({"field": "diagnosis.who_type", "equals": "B-all"}) == [
            "diagnosis.who_type: 'B-all' is not one of ['ALAL', 'AML', 'B-ALL', 'T-ALL', 'mature-B/Burkitt']"
        ]

    def test_in_values_outside_vocabulary(self):
        """Each `in` value outside the vocabulary is reported."""
        problems = _problems({"field": "cns_status", "in": ["CNS1", "CNS4", "cns2"]})

        assert [problem.split("'")[1] for problem in problems] == ["CNS4", "cns2"]

    def test_contains_any_outside_list_vocabulary(self):
        """contains_any values are checked against the list's item vocabulary."""
        assert [
            problem.split(":")[0] for problem in _problems({"field": "syndromes", "contains_any": ["Down"]})
        ] == ["syndromes"]

    def test_parameter_value_outside_vocabulary(self):
        """A parameter's value is checked against the vocabulary too."""
        problems = _problems({"field": "cns_status", "equals": {"param": "cns"}}, {"cns": "CNS 3"})

        assert problems == ["cns_status: 'CNS 3' is not one of ['CNS1', 'CNS2', 'CNS3']"]

    def test_vocabulary_inside_items(self):
        """Values inside any_item are checked against the item's vocabulary."""
        expression = {"any_item": {"list": "mrd", "where": {"field": "method", "equals": "flow"}}}

        assert [problem.split(": ")[1] for problem in _problems(expression)] == ["method"]

    def test_free_text_field_accepts_any_value(self):
        """A field without a vocabulary accepts any compared value."""
        assert _problems({"field": "genetics.kmt2a.method", "equals": "anything"}) == []


class TestParameters:
    @pytest.mark.parametrize(
        "expression",
        [
            {"field": "cns_status", "equals": {"param": "missing"}},
            {"field": "cns_status", "in": ["CNS1", {"param": "missing"}]},
            {"field": "wbc_at_diagnosis_1e9_per_l", "lt": {"param": "missing"}},
            {"field": "syndromes", "contains_any": [{"param": "missing"}]},
            {"age": {"on": "diagnosis", "unit": "years", "ge": {"param": "missing"}}},
            {"age": {"on": {"param": "missing"}, "unit": "years", "ge": 1}},
            _window(days_before={"param": "missing"}),
            _window(reference={"param": "missing"}),
            {"on_or_before": {"field": "consent.date", "reference": {"param": "missing"}}},
        ],
    )
    def test_unknown_parameter(self, expression):
        """Every place that takes a parameter reports an undefined one, once."""
        assert [
            p.removeprefix("in items of prior_steroids: ") for p in _problems(expression, {"other": 1})
        ] == ["unknown parameter 'missing'"]

    def test_defined_parameter(self):
        """A defined parameter is not a problem."""
        assert (
            _problems({"field": "wbc_at_diagnosis_1e9_per_l", "lt": {"param": "limit"}}, {"limit": 50}) == []
        )


class TestReferenceDates:
    @pytest.mark.parametrize(
        "expression",
        [
            {"age": {"on": "birth", "unit": "years", "ge": 1}},
            _window(reference="birth"),
            {"on_or_before": {"field": "consent.date", "reference": "birth"}},
        ],
    )
    def test_unknown_reference_date(self, expression):
        """A reference date other than diagnosis or study_entry is reported."""
        assert [p.removeprefix("in items of prior_steroids: ") for p in _problems(expression)] == [
            "unknown reference date 'birth'; use one of ['diagnosis', 'study_entry']"
        ]

    def test_unknown_reference_date_via_parameter(self):
        """A parameter naming an unknown reference date is reported."""
        expression = {"age": {"on": {"param": "reference"}, "unit": "years", "ge": 1}}

        assert _problems(expression, {"reference": "enrolment"}) == [
            "unknown reference date 'enrolment'; use one of ['diagnosis', 'study_entry']"
        ]


class TestListTests:
    def test_contains_any_on_non_list(self):
        """contains_any on a field that is not a list is reported."""
        assert _problems({"field": "cns_status", "contains_any": ["CNS1"]}) == [
            "cns_status: contains_any needs a list field"
        ]

    def test_any_item_on_non_list(self):
        """any_item over a field that is not a list is reported."""
        assert _problems({"any_item": {"list": "cns_status", "where": {"field": "x", "present": True}}}) == [
            "cns_status: any_item needs a list of records"
        ]

    @pytest.mark.parametrize("path", ["syndromes", "genetics.fusions"])
    def test_any_item_on_list_of_scalars(self, path):
        """any_item over a list of plain values is reported, and its condition is not checked."""
        assert [f"{path}: any_item needs a list of records"] == _problems(
            {"any_item": {"list": path, "where": {"field": "x", "present": True}}}
        )

    def test_any_item_on_list_of_records(self):
        """any_item over a list of records is sound."""
        assert _problems(_steroids_where({"field": "systemic", "equals": True})) == []


class TestOrderings:
    def test_ordering_on_number_field(self):
        """An ordering on a numeric field is sound."""
        assert _problems({"field": "wbc_at_diagnosis_1e9_per_l", "ge": 50}) == []

    @pytest.mark.parametrize("path", ["cns_status", "diagnosis.date", "genetics.fusions"])
    def test_ordering_on_non_numeric_field(self, path):
        """An ordering (lt, le, gt, ge) on a field that is not a number is reported."""
        assert any(path in problem for problem in _problems({"field": path, "ge": 1}))

    def test_value_of_the_wrong_type(self):
        """A compared value that can never equal the field's type is reported."""
        assert _problems({"field": "prior_hsct", "equals": "yes"}) == [
            "prior_hsct: 'yes' does not fit the field's type bool"
        ]


class TestTypedOperands:
    @pytest.mark.parametrize("bound", ["abc", True, None])
    def test_numeric_bound_from_a_parameter_must_be_a_number(self, bound):
        """A parameter used as a numeric bound must hold a number."""
        problems = _problems(
            {"field": "wbc_at_diagnosis_1e9_per_l", "ge": {"param": "limit"}}, {"limit": bound}
        )

        assert problems == [f"wbc_at_diagnosis_1e9_per_l ge: {bound!r} is not a number"]

    def test_age_bound_must_be_a_number(self):
        """An age bound read from a parameter must be a number."""
        expression = {"age": {"on": "diagnosis", "unit": "years", "lt": {"param": "limit"}}}

        assert _problems(expression, {"limit": "one"}) == ["age lt: 'one' is not a number"]

    @pytest.mark.parametrize("days", [1.5, -1, "28"])
    def test_window_days_must_be_whole(self, days):
        """A window length must be a whole number of days, 0 or more."""
        problems = _problems(_window(days_before={"param": "days"}), {"days": days})

        assert problems == [
            f"in items of prior_steroids: days_before: {days!r} is not a whole number of days (0 or more)"
        ]

    def test_window_fields_must_be_dates(self):
        """The start and end of a window test must be date fields."""
        assert _problems(_window(start="drug")) == [
            "in items of prior_steroids: drug: needs a date field, not str"
        ]

    def test_on_or_before_field_must_be_a_date(self):
        """on_or_before compares a date field, not a text field."""
        expression = {"on_or_before": {"field": "consent.form_version", "reference": "study_entry"}}

        assert _problems(expression) == ["consent.form_version: needs a date field, not str"]

    @pytest.mark.parametrize("comparator", ["equals", "in"])
    def test_equals_on_a_list_is_refused(self, comparator):
        """equals or in on a list field could never be met; contains_any is the test for lists."""
        value = "Down syndrome" if comparator == "equals" else ["Down syndrome"]

        assert _problems({"field": "syndromes", comparator: value}) == [
            "syndromes: is a list; use contains_any"
        ]

    def test_equals_on_a_group_of_fields_is_refused(self):
        """A group of fields (a sub-record) cannot be compared with a value."""
        assert _problems({"field": "consent", "equals": "parents"}) == [
            "consent: is a group of fields; compare one of its fields"
        ]

    def test_present_on_a_group_of_fields_is_sound(self):
        """Whether a group of fields is recorded at all can be tested."""
        assert _problems({"field": "consent", "present": True}) == []


class TestMRDTest:
    MRD: ClassVar[dict[str, Any]] = {"mrd": {"time_point": "end of induction", "result": "positive"}}

    def test_mrd_test_without_rules(self):
        """An mrd test in a protocol without MRD rules is reported."""
        assert _problems(self.MRD) == ["an mrd test needs the protocol's mrd parameters"]

    def test_mrd_test_with_rules(self):
        """An mrd test with MRD rules is sound."""
        assert _problems(self.MRD, has_mrd_rules=True) == []
