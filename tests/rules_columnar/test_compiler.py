"""The compiled evaluator agrees with the scalar evaluator on every node type, record by record."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remission.errors import InputError
from remission.record import PatientRecord
from remission.rules import EvaluationContext, MRDRules, evaluate, reference_dates
from remission.rules.columnar import FALSE, TRUE, UNKNOWN, cohort_from_records, compile_expression, truth_of
from rules_columnar.strategies import AS_OF, mrd_rules, records

PARAMETERS: dict[str, Any] = {
    "months": 6,
    "reference": "diagnosis",
    "wbc": 300,
    "window": 28,
    "window_reference": "study_entry",
    "flag": True,
    "who": "T-ALL",
    "half_year": 0.5,
}
STEROID_WINDOW = {
    "overlaps_window": {
        "start": "start_date",
        "end": "end_date",
        "days_before": {"param": "window"},
        "reference": {"param": "window_reference"},
    }
}

#: Expressions covering every node type, comparator, scope and parameter use.
EXPRESSIONS: dict[str, dict[str, Any]] = {
    "age years lt": {"age": {"on": "diagnosis", "unit": "years", "lt": 1}},
    "age months ge param": {"age": {"on": "study_entry", "unit": "months", "ge": {"param": "months"}}},
    "age days le param reference": {"age": {"on": {"param": "reference"}, "unit": "days", "le": 365}},
    "age years gt float": {"age": {"on": "diagnosis", "unit": "years", "gt": {"param": "half_year"}}},
    "in": {"field": "diagnosis.who_type", "in": ["B-ALL", "T-ALL"]},
    "in with param": {"field": "diagnosis.who_type", "in": ["B-ALL", {"param": "who"}]},
    "alal": {
        "any": [
            {"field": "diagnosis.who_type", "in": ["B-ALL", "T-ALL"]},
            {
                "all": [
                    {"field": "diagnosis.who_type", "equals": "ALAL"},
                    {"field": "diagnosis.alal_predominant_lineage", "in": ["B-lymphoid", "T-lymphoid"]},
                ]
            },
        ]
    },
    "consent": {
        "all": [
            {"field": "consent.given_by", "in": ["parents", "parent", "guardian"]},
            {"on_or_before": {"field": "consent.date", "reference": "study_entry"}},
        ]
    },
    "contains_any syndromes": {"field": "syndromes", "contains_any": ["Down syndrome", "Fanconi anemia"]},
    "contains_any fusions": {"field": "genetics.fusions", "contains_any": ["KMT2A::AFF1"]},
    "contains_any list of records": {"field": "genetics.mutations", "contains_any": ["FLT3"]},
    "bool equals param": {"field": "prior_hsct", "equals": {"param": "flag"}},
    "not": {"not": {"field": "genetics.kmt2a.status", "equals": "rearranged"}},
    "present group": {"field": "genetics.kmt2a", "present": True},
    "absent group": {"field": "diagnosis", "present": False},
    "present list": {"field": "syndromes", "present": True},
    "present map": {"field": "diagnosis.immunophenotype", "present": True},
    "map equals": {"field": "diagnosis.immunophenotype", "equals": "CD19"},
    "number ge param": {"field": "wbc_at_diagnosis_1e9_per_l", "ge": {"param": "wbc"}},
    "number lt": {"field": "wbc_at_diagnosis_1e9_per_l", "lt": 300},
    "number equals": {"field": "wbc_at_diagnosis_1e9_per_l", "equals": 300},
    "number in": {"field": "wbc_at_diagnosis_1e9_per_l", "in": [0, 299.99]},
    "date equals": {"field": "diagnosis.date", "equals": "2025-06-05"},
    "text equals": {"field": "patient.sex", "equals": "female"},
    "partner in": {"field": "genetics.kmt2a.partner", "in": ["AFF1"]},
    "steroids in window": {
        "any_item": {
            "list": "prior_steroids",
            "where": {"all": [{"field": "systemic", "equals": True}, STEROID_WINDOW]},
        }
    },
    "ongoing study": {
        "any_item": {
            "list": "other_studies",
            "where": {
                "all": [
                    {"field": "interventional", "equals": True},
                    {
                        "overlaps_window": {
                            "start": "start_date",
                            "end": "end_date",
                            "days_before": 0,
                            "reference": "study_entry",
                        }
                    },
                ]
            },
        }
    },
    "item value ge": {"any_item": {"list": "mrd", "where": {"field": "value_fraction", "ge": 1e-4}}},
    "item mix": {
        "any_item": {
            "list": "mrd",
            "where": {
                "all": [
                    {"field": "time_point", "equals": "end of induction"},
                    {"not": {"field": "positive_not_quantifiable", "equals": True}},
                    {"field": "sensitivity_fraction", "le": 1e-4},
                ]
            },
        }
    },
    "item field absent": {
        "any_item": {"list": "prior_steroids", "where": {"field": "end_date", "present": False}}
    },
    "item date equals": {
        "any_item": {"list": "prior_steroids", "where": {"field": "end_date", "equals": "2026-05-08"}}
    },
    "item on or before": {
        "any_item": {
            "list": "other_studies",
            "where": {"on_or_before": {"field": "start_date", "reference": "diagnosis"}},
        }
    },
    "item variant": {
        "any_item": {"list": "genetics.mutations", "where": {"field": "variant", "equals": "p.D835Y"}}
    },
    "item age inside": {
        "any_item": {
            "list": "prior_steroids",
            "where": {
                "all": [
                    {"age": {"on": "diagnosis", "unit": "years", "lt": 1}},
                    {"field": "systemic", "equals": True},
                ]
            },
        }
    },
    "item mrd inside": {
        "any_item": {
            "list": "treatment_phases",
            "where": {"mrd": {"time_point": "after consolidation 1", "result": "positive"}},
        }
    },
    "phases": {"any_item": {"list": "treatment_phases", "where": {"field": "phase_id", "in": ["induction"]}}},
    "attested met": {"any_item": {"list": "attestations", "where": {"field": "outcome", "equals": "met"}}},
    "mrd positive": {"mrd": {"time_point": "after consolidation 1", "result": "positive"}},
    "mrd negative": {"mrd": {"time_point": "end of induction", "result": "negative"}},
    "top-level window": {
        "overlaps_window": {
            "start": "diagnosis.date",
            "end": "study_entry_date",
            "days_before": 30,
            "reference": "diagnosis",
        }
    },
    "top-level on or before": {"on_or_before": {"field": "diagnosis.date", "reference": "study_entry"}},
    "deep mix": {
        "any": [
            {
                "not": {
                    "all": [
                        {"age": {"on": "diagnosis", "unit": "months", "lt": 12}},
                        {"field": "prior_hsct", "equals": False},
                    ]
                }
            },
            {"field": "syndromes", "contains_any": ["Down syndrome"]},
            {
                "all": [
                    {"field": "relapse_status", "in": ["first relapse"]},
                    {"mrd": {"time_point": "end of induction", "result": "positive"}},
                ]
            },
        ]
    },
}


def _scalar(expression: Any, record: PatientRecord, rules: MRDRules) -> tuple[Any, tuple[str, ...]]:
    ctx = EvaluationContext(record, PARAMETERS, reference_dates(record, as_of=AS_OF), rules)
    evaluation = evaluate(expression, ctx)
    return evaluation.truth, tuple(evaluation.all_missing())


class TestAgreesWithScalarEvaluation:
    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(records(), min_size=1, max_size=20), mrd_rules())
    def test_truth_and_missing_fields_match(self, generated: list[PatientRecord], rules: MRDRules):
        """For every expression and record: the same outcome and the same missing fields, in order."""
        cohort = cohort_from_records(generated)
        for name, data in EXPRESSIONS.items():
            compiled = compile_expression(data, PARAMETERS, mrd_rules=rules)
            result = compiled.evaluate(cohort, as_of=AS_OF)
            for row, record in enumerate(generated):
                got = (truth_of(result.truth[row]), result.missing.paths(row))
                assert got == _scalar(compiled.expression, record, rules), (name, row)


class TestResults:
    def test_truth_codes(self):
        """Codes are 0 not met, 1 met, 2 unknown, one int8 per record."""
        cohort = cohort_from_records(
            [
                PatientRecord.model_validate({"patient": {"study_id": "P"}, "prior_hsct": value})
                for value in (False, True, None)
            ]
        )

        truth = (
            compile_expression({"field": "prior_hsct", "equals": True}).evaluate(cohort, as_of=AS_OF).truth
        )

        assert (truth.dtype, truth.tolist()) == (np.dtype(np.int8), [FALSE, TRUE, UNKNOWN])

    def test_missing_counts(self):
        """counts() gives how many records miss each field."""
        cohort = cohort_from_records(
            [
                PatientRecord.model_validate({"patient": {"study_id": "P"}, "prior_hsct": value})
                for value in (None, None, True)
            ]
        )

        missing = (
            compile_expression({"field": "prior_hsct", "equals": True}).evaluate(cohort, as_of=AS_OF).missing
        )

        assert missing.counts() == {"prior_hsct": 2}


class TestRefusals:
    @pytest.mark.parametrize(
        ("expression", "problem"),
        [
            ({"field": "diagnosis.subtype", "equals": "x"}, "the record has no field 'diagnosis.subtype'"),
            (
                {"field": "diagnosis.who_type", "equals": "B-ALLL"},
                "diagnosis.who_type: 'B-ALLL' is not one of",
            ),
            ({"field": "wbc_at_diagnosis_1e9_per_l", "ge": {"param": "nope"}}, "unknown parameter 'nope'"),
            (
                {"mrd": {"time_point": "end of induction", "result": "positive"}},
                "needs the protocol's mrd parameters",
            ),
        ],
    )
    def test_unsound_expression_is_refused(self, expression: dict[str, Any], problem: str):
        """An expression the static checks refuse never compiles."""
        with pytest.raises(InputError) as caught:
            compile_expression(expression, PARAMETERS)

        assert problem in str(caught.value)

    def test_malformed_tree_is_refused(self):
        """A node without any expression key is refused as input, not as a crash."""
        with pytest.raises(InputError, match="an expression needs one of the keys"):
            compile_expression({"field_name": "prior_hsct"})
