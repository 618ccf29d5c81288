"""Tests for remission.rules.evaluation: three-valued evaluation of expressions, with traces."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from remission.record.model import PatientRecord
from remission.rules import (
    Truth,
    reference_dates,
)
from support.evaluation import AS_OF, EXPRESSION
from support.evaluation import record_with as _record
from support.evaluation import run_expression as _run


class TestExpressionParsing:
    def test_unknown_key_rejected(self):
        """A mapping without an expression key is rejected with the list of keys."""
        with pytest.raises(ValidationError, match="an expression needs one of the keys"):
            EXPRESSION.validate_python({"feld": "cns_status", "equals": "CNS1"})

    def test_two_comparators_rejected(self):
        """A field test with two comparators is rejected."""
        with pytest.raises(ValidationError, match="needs exactly one of"):
            EXPRESSION.validate_python({"field": "cns_status", "equals": "CNS1", "present": True})

    def test_no_comparator_rejected(self):
        """A field test without a comparator is rejected."""
        with pytest.raises(ValidationError, match="needs exactly one of"):
            EXPRESSION.validate_python({"field": "cns_status"})

    def test_empty_all_rejected(self):
        """An `all` with no children is rejected rather than evaluated as vacuously met."""
        with pytest.raises(ValidationError):
            EXPRESSION.validate_python({"all": []})

    def test_empty_any_rejected(self):
        """An `any` with no children is rejected."""
        with pytest.raises(ValidationError):
            EXPRESSION.validate_python({"any": []})

    def test_age_needs_one_ordering(self):
        """An age test with two bounds is rejected."""
        with pytest.raises(ValidationError, match="exactly one of lt, le, gt, ge"):
            EXPRESSION.validate_python({"age": {"on": "diagnosis", "unit": "years", "ge": 1, "lt": 18}})


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
