"""Tests for remission.record.parse, consistency, errors and schema: checked input."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import jsonschema
import pytest

from remission.errors import FieldProblem, InputError, dotted_path
from remission.record import (
    PatientRecord,
    consistency_problems,
    parse_record,
    parse_record_json,
    record_json_schema,
)
from remission.untrusted import MAX_DEPTH as MAX_JSON_DEPTH
from remission.untrusted import MAX_INTEGER_DIGITS
from remission.untrusted import depth as json_depth

TODAY = date(2026, 1, 15)


def _minimal(**fields: Any) -> dict[str, Any]:
    return {"patient": {"study_id": "P-001", "date_of_birth": "2018-04-02"}} | fields


def _full() -> dict[str, Any]:
    """A record that fills every field of the schema."""
    return {
        "schema_version": "1",
        "patient": {"study_id": "P-001", "site": "site-07", "sex": "female", "date_of_birth": "2018-04-02"},
        "diagnosis": {
            "date": "2025-06-10",
            "who_type": "ALAL",
            "alal_predominant_lineage": "B-lymphoid",
            "immunophenotype": {"CD19": "positive", "cyCD3": "partial", "MPO": "negative"},
        },
        "genetics": {
            "kmt2a": {"status": "rearranged", "partner": "AFF1", "method": "FISH"},
            "fusions": ["KMT2A::AFF1"],
            "mutations": [{"gene": "FLT3", "variant": "p.D835Y"}, {"gene": "NRAS"}],
            "ph_status": "negative",
            "ph_like_class": "not Ph-like",
        },
        "wbc_at_diagnosis_1e9_per_l": 123.5,
        "cns_status": "CNS1",
        "prednisone_response": "good",
        "syndromes": [],
        "prior_steroids": [
            {"drug": "prednisone", "systemic": True, "start_date": "2025-06-01", "end_date": "2025-06-05"}
        ],
        "prior_hsct": False,
        "relapse_status": "never relapsed",
        "consent": {"given_by": "parents", "date": "2025-06-11", "form_version": "2.1"},
        "other_studies": [
            {"study_id": "NCT00000001", "interventional": False, "start_date": "2025-06-11", "end_date": None}
        ],
        "study_entry_date": "2025-06-12",
        "mrd": [
            {
                "time_point": "end of induction",
                "method": "flow cytometry",
                "sample_date": "2025-07-20",
                "value_fraction": 0.0001,
                "positive_not_quantifiable": False,
                "sensitivity_fraction": 1e-05,
            },
            {
                "time_point": "end of induction",
                "method": "IG/TR RQ-PCR",
                "sample_date": "2025-07-20",
                "positive_not_quantifiable": True,
            },
        ],
        "treatment_phases": [{"phase_id": "induction", "start_date": "2025-06-12", "end_date": "2025-07-20"}],
        "attestations": [
            {
                "protocol_id": "interfant-06",
                "criterion_id": "consent",
                "outcome": "met",
                "attested_by": "Dr. A. Example",
                "role": "investigator",
                "date": "2025-06-11",
                "note": "checked against the signed form",
            }
        ],
    }


def _problems(data: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(InputError) as error:
        parse_record(data, today=TODAY, **kwargs)
    return [str(problem) for problem in error.value.problems]


class TestDottedPath:
    def test_renders_fields_and_indices(self):
        """Names are joined with dots and list indices are bracketed."""
        assert dotted_path(("mrd", 0, "value_fraction")) == "mrd[0].value_fraction"

    def test_empty_location_is_the_record(self):
        """An error on the whole input is reported at "(record)"."""
        assert dotted_path(()) == "(record)"


class TestParseRecord:
    def test_valid_record(self):
        """A valid, consistent record is returned as a PatientRecord."""
        record = parse_record(_full(), today=TODAY)

        assert record.patient.study_id == "P-001"

    def test_pydantic_error_has_dotted_path(self):
        """A field error is reported at a dotted path with list indices."""
        mrd = {"time_point": "end of induction", "method": "NGS", "sample_date": "2025-07-01"}

        problems = _problems(_minimal(mrd=[mrd | {"value_fraction": 1.5}]))

        assert problems == ["mrd[0].value_fraction: Input should be less than or equal to 1"]

    def test_unknown_field_message(self):
        """An unknown field is reported as not in the schema."""
        assert _problems({"patient": {"study_id": "P-001", "name": "Jane"}}) == [
            "patient.name: unknown field (not in the schema)"
        ]

    def test_missing_field_message(self):
        """A missing required field is reported as such."""
        assert _problems({"patient": {}}) == ["patient.study_id: required field is missing"]

    def test_model_validator_message_without_prefix(self):
        """Cross-field model errors lose pydantic's "Value error, " prefix."""
        problems = _problems(_minimal(diagnosis={"who_type": "AML", "alal_predominant_lineage": "myeloid"}))

        assert problems == ["diagnosis: alal_predominant_lineage is only recorded when who_type is ALAL"]

    def test_every_field_error_reported(self):
        """All field errors are reported together, one problem each."""
        problems = _problems(_minimal(cns_status="CNS9", wbc_at_diagnosis_1e9_per_l=-1, extra=1))

        assert sorted(problem.split(":")[0] for problem in problems) == [
            "cns_status",
            "extra",
            "wbc_at_diagnosis_1e9_per_l",
        ]

    def test_non_object_input(self):
        """Input that is not an object is reported at "(record)"."""
        assert [problem.split(":")[0] for problem in _problems([])] == ["(record)"]

    def test_input_error_carries_source_and_problems(self):
        """InputError names the source and holds FieldProblems; its message lists them."""
        with pytest.raises(InputError) as error:
            parse_record({"patient": {}}, today=TODAY, source="patients/p1.json")

        assert (
            "patients/p1.json",
            (FieldProblem("patient.study_id", "required field is missing"),),
            "patients/p1.json:\n  patient.study_id: required field is missing",
        ) == (error.value.source, error.value.problems, str(error.value))

    def test_input_error_is_a_value_error(self):
        """InputError can be caught as ValueError."""
        with pytest.raises(ValueError, match="record:"):
            parse_record({}, today=TODAY)


class TestConsistency:
    def test_diagnosis_before_birth(self):
        """A diagnosis before birth is reported at diagnosis.date."""
        assert _problems(_minimal(diagnosis={"date": "2017-12-31"})) == [
            "diagnosis.date: 2017-12-31 is before patient.date_of_birth 2018-04-02"
        ]

    def test_date_in_the_future(self):
        """A recorded date after today is reported with its path."""
        consent = {"given_by": "parent", "date": "2026-01-16", "form_version": "1"}

        assert _problems(_minimal(consent=consent)) == [
            "consent.date: 2026-01-16 is in the future (today is 2026-01-15)"
        ]

    def test_today_itself_is_not_the_future(self):
        """A date equal to today is accepted."""
        record = parse_record(_minimal(diagnosis={"date": "2026-01-15"}), today=TODAY)

        assert record.diagnosis.date == date(2026, 1, 15)

    def test_future_date_in_list_item(self):
        """A future date inside a list is reported with its index."""
        mrd = {
            "time_point": "end of induction",
            "method": "NGS",
            "sample_date": "2026-02-01",
            "value_fraction": 0,
        }

        assert [problem.split(":")[0] for problem in _problems(_minimal(mrd=[mrd]))] == ["mrd[0].sample_date"]

    def test_study_entry_may_be_planned(self):
        """study_entry_date may lie in the future."""
        record = parse_record(_minimal(study_entry_date="2026-03-01"), today=TODAY)

        assert record.study_entry_date == date(2026, 3, 1)

    def test_study_entry_before_birth_reported(self):
        """study_entry_date is still checked against the date of birth."""
        assert [problem.split(":")[0] for problem in _problems(_minimal(study_entry_date="2010-01-01"))] == [
            "study_entry_date"
        ]

    def test_end_before_start_in_prior_steroids(self):
        """A steroid course ending before it started is reported at its end_date."""
        course = {
            "drug": "dexamethasone",
            "systemic": True,
            "start_date": "2025-05-10",
            "end_date": "2025-05-09",
        }

        assert _problems(_minimal(prior_steroids=[course])) == [
            "prior_steroids[0].end_date: 2025-05-09 is before start_date 2025-05-10"
        ]

    def test_end_before_start_in_treatment_phases(self):
        """Treatment phases are checked for date order as well."""
        phase = {"phase_id": "induction", "start_date": "2025-06-12", "end_date": "2025-06-01"}

        assert [problem.split(":")[0] for problem in _problems(_minimal(treatment_phases=[phase]))] == [
            "treatment_phases[0].end_date"
        ]

    def test_ongoing_period_is_consistent(self):
        """A period without an end date is not reported."""
        course = {"drug": "prednisone", "systemic": True, "start_date": "2025-05-10", "end_date": None}
        record = PatientRecord.model_validate(_minimal(prior_steroids=[course]))

        assert consistency_problems(record, today=TODAY) == []

    def test_without_date_of_birth_no_birth_checks(self):
        """Without a date of birth, early dates are not reported."""
        record = PatientRecord.model_validate(
            {"patient": {"study_id": "P-1"}, "diagnosis": {"date": "1900-01-01"}}
        )

        assert consistency_problems(record, today=TODAY) == []

    def test_field_problem_str(self):
        """A FieldProblem renders as "field: problem"."""
        assert str(FieldProblem("a.b", "wrong")) == "a.b: wrong"


class TestParseRecordJson:
    def test_valid_json(self):
        """JSON text of a valid record is parsed."""
        record = parse_record_json(json.dumps(_full()), today=TODAY)

        assert record.genetics.kmt2a.partner == "AFF1"

    def test_malformed_json_gives_one_problem_with_position(self):
        """Malformed JSON is one problem at "(json)" giving line and column."""
        with pytest.raises(InputError) as error:
            parse_record_json('{\n  "patient": }', today=TODAY, source="p.json")

        assert (
            "p.json",
            (FieldProblem("(json)", "not JSON: Expecting value at line 2 column 14"),),
        ) == (error.value.source, error.value.problems)

    def test_valid_json_invalid_record(self):
        """Well-formed JSON is then validated as a record, with the same source."""
        with pytest.raises(InputError) as error:
            parse_record_json('{"patient": {}}', today=TODAY, source="p.json")

        assert (
            error.value.source,
            [problem.field for problem in error.value.problems],
        ) == ("p.json", ["patient.study_id"])


class TestParseRecordJsonLimits:
    def test_nesting_past_the_limit_is_one_json_problem(self):
        """JSON nested one level past the limit is refused as a problem of the JSON, naming the limit."""
        text = json.dumps({**_minimal(), "diagnosis": _nested(MAX_JSON_DEPTH)})
        with pytest.raises(InputError) as error:
            parse_record_json(text, today=TODAY, source="p.json")

        assert error.value.problems == (
            FieldProblem(
                "(json)", f"nested deeper than the limit of {MAX_JSON_DEPTH} levels of arrays and objects"
            ),
        )

    def test_nesting_at_the_limit_is_validated_as_a_record(self):
        """JSON nested exactly to the limit reaches the record's validation, which names the field."""
        text = json.dumps({**_minimal(), "diagnosis": _nested(MAX_JSON_DEPTH - 1)})
        with pytest.raises(InputError) as error:
            parse_record_json(text, today=TODAY)

        assert all(problem.field.startswith("diagnosis") for problem in error.value.problems)

    def test_nesting_past_the_decoders_limit_is_the_same_problem(self):
        """Nesting of 100,000 levels (past Python's recursion limit) is the same problem, not a crash."""
        with pytest.raises(InputError) as error:
            parse_record_json("[" * 100_000 + "]" * 100_000, today=TODAY)

        assert "nested deeper" in error.value.problems[0].problem

    def test_over_long_integer_is_one_json_problem(self):
        """A 5000-digit integer is refused as it is read, naming its length, not Python's digit limit."""
        text = '{"wbc_at_diagnosis_1e9_per_l": ' + "9" * 5000 + "}"
        with pytest.raises(InputError) as error:
            parse_record_json(text, today=TODAY)

        assert error.value.problems == (
            FieldProblem(
                "(json)", f"an integer of 5000 digits; at most {MAX_INTEGER_DIGITS} digits are read"
            ),
        )

    def test_integer_of_the_longest_length_is_validated_as_a_record(self):
        """An integer of the longest length read reaches validation, which names the field."""
        text = json.dumps({**_minimal(), "wbc_at_diagnosis_1e9_per_l": -(10**MAX_INTEGER_DIGITS - 1)})
        with pytest.raises(InputError) as error:
            parse_record_json(text, today=TODAY)

        assert [problem.field for problem in error.value.problems] == ["wbc_at_diagnosis_1e9_per_l"]

    def test_infinite_number_is_refused_on_its_field(self):
        """``1e999`` decodes to infinity, which the record refuses on its field."""
        text = json.dumps(_minimal())[:-1] + ', "wbc_at_diagnosis_1e9_per_l": 1e999}'
        with pytest.raises(InputError) as error:
            parse_record_json(text, today=TODAY)

        assert [problem.field for problem in error.value.problems] == ["wbc_at_diagnosis_1e9_per_l"]

    @pytest.mark.parametrize(
        ("value", "depth"), [(1, 0), ({}, 1), ([], 1), ({"a": []}, 2), ([1, {"a": [[]]}, []], 4)]
    )
    def test_depth_counts_arrays_and_objects(self, value: Any, depth: int):
        """Each array or object is one level; scalars none."""
        assert json_depth(value) == depth


def _nested(levels: int) -> Any:
    """``levels`` objects nested in each other (``{}`` is one level)."""
    value: Any = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


class TestRecordJsonSchema:
    def test_declares_draft_2020_12(self):
        """The schema declares JSON Schema draft 2020-12."""
        assert record_json_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"

    def test_has_versioned_id(self):
        """The schema's $id names the record schema version."""
        assert record_json_schema()["$id"].endswith("record-v1.json")

    def test_is_a_valid_schema(self):
        """The schema itself passes the draft 2020-12 meta-schema."""
        jsonschema.Draft202012Validator.check_schema(record_json_schema())

    def test_full_record_validates(self):
        """A record using every field validates against the schema."""
        validator = jsonschema.Draft202012Validator(
            record_json_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )

        assert [error.message for error in validator.iter_errors(_full())] == []

    def test_schema_rejects_unknown_field(self):
        """The schema, like the model, rejects unknown fields."""
        validator = jsonschema.Draft202012Validator(record_json_schema())

        assert not validator.is_valid(_full() | {"blood_group": "A+"})

    def test_schema_rejects_bad_fusion(self):
        """The schema carries the fusion name pattern."""
        data = _full()
        data["genetics"]["fusions"] = ["KMT2A-AFF1"]

        assert not jsonschema.Draft202012Validator(record_json_schema()).is_valid(data)

    def test_round_trip(self):
        """Dumping a record to JSON data and parsing it again gives an equal record."""
        record = parse_record(_full(), today=TODAY)

        assert record == parse_record(record.model_dump(mode="json"), today=TODAY)

    def test_dump_validates_against_schema(self):
        """The JSON dump of a record (with defaults filled in) validates against the schema."""
        dumped = parse_record(_full(), today=TODAY).model_dump(mode="json")

        assert jsonschema.Draft202012Validator(record_json_schema()).is_valid(dumped)
