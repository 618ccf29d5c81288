"""Validation of cohort tables and Parquet files: bad columns and values are refused by name and row."""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from remission.errors import InputError
from remission.record import PatientRecord
from remission.rules.columnar import cohort_from_table, read_cohort, records_table
from remission.rules.columnar.validators import MODEL_VALIDATORS
from rules_columnar.strategies import records

TODAY = datetime.date(2026, 11, 21)


def _record(**fields: Any) -> PatientRecord:
    return PatientRecord.model_validate(
        {"patient": {"study_id": "P-1", "date_of_birth": "2025-03-01"}} | fields
    )


def _table(count: int = 3, **fields: Any) -> pa.Table:
    return records_table([_record(**fields) for _ in range(count)])


def _replace(table: pa.Table, name: str, values: Any, kind: pa.DataType | None = None) -> pa.Table:
    array = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values, type=kind)
    return table.set_column(table.schema.get_field_index(name), name, array)


def _problems(table: pa.Table, **options: Any) -> list[str]:
    with pytest.raises(InputError) as caught:
        cohort_from_table(table, **options)
    return [str(problem) for problem in caught.value.problems]


class TestTypes:
    def test_wrong_column_type_is_refused_by_name(self):
        """Numbers stored as text are refused, naming the column and the expected type."""
        table = _replace(_table(), "wbc_at_diagnosis_1e9_per_l", ["1", "2", "3"])

        assert _problems(table) == [
            "wbc_at_diagnosis_1e9_per_l: has Arrow type string; expected double (float)"
        ]

    def test_integers_are_accepted_for_numbers(self):
        """An integer WBC column reads as float64."""
        table = _replace(_table(), "wbc_at_diagnosis_1e9_per_l", [1, 2, None], pa.int32())

        cohort = cohort_from_table(table)

        assert cohort.table.column("wbc_at_diagnosis_1e9_per_l").to_pylist() == [1.0, 2.0, None]

    def test_iso_date_strings_are_accepted(self):
        """Dates written as YYYY-MM-DD text read as dates."""
        table = _replace(_table(), "study_entry_date", ["2026-06-05", None, "2026-06-07"])

        cohort = cohort_from_table(table)

        assert cohort.record(2).study_entry_date == datetime.date(2026, 6, 7)

    def test_malformed_date_string_is_refused_with_its_row(self):
        """A date that is not YYYY-MM-DD is refused, naming the column and the row."""
        table = _replace(_table(), "study_entry_date", ["2026-06-05", "5 June 2026", None])

        assert _problems(table) == ["study_entry_date: row 1: '5 June 2026' is not a date (YYYY-MM-DD)"]

    def test_dictionary_encoded_text_is_accepted(self):
        """A dictionary-encoded vocabulary column (as pandas categories write it) reads as text."""
        encoded = pa.array(["B-ALL", "T-ALL", None]).dictionary_encode()
        table = _replace(_table(diagnosis={}), "diagnosis.who_type", encoded)

        assert cohort_from_table(table).table.column("diagnosis.who_type").to_pylist() == [
            "B-ALL",
            "T-ALL",
            None,
        ]

    def test_wrong_item_field_type_is_refused(self):
        """An item field of the wrong type is named as list[].field."""
        steroids = pa.array(
            [[{"drug": "pred", "systemic": "yes", "start_date": datetime.date(2026, 1, 1), "end_date": None}]]
            * 3
        )
        table = _replace(_table(), "prior_steroids", steroids)

        assert _problems(table) == ["prior_steroids[].systemic: has Arrow type string; expected bool (bool)"]

    def test_unreadable_file_is_refused(self, tmp_path: Path):
        """A file that is not Parquet gives an InputError naming the file."""
        path = tmp_path / "cohort.parquet"
        path.write_text("not parquet", "utf-8")

        with pytest.raises(InputError) as caught:
            read_cohort(path)

        assert caught.value.source == str(path)


class TestColumnsPresent:
    def test_unknown_column_is_refused(self):
        """A column the record does not have is refused (a typo would otherwise be ignored)."""
        table = _table().append_column("diagnosis.who_typ", pa.array(["B-ALL"] * 3))

        assert _problems(table) == [
            "diagnosis.who_typ: unknown column: the record has no such field (see docs/cohorts.md)"
        ]

    def test_missing_column_is_refused(self):
        """A missing field column is refused unless missing columns are allowed."""
        table = _table().drop_columns(["prior_hsct"])

        assert _problems(table) == [
            "prior_hsct: column is missing (allow_missing_columns reads it as not recorded)"
        ]

    def test_allowed_missing_columns_read_as_not_recorded(self):
        """With allow_missing_columns, an absent list with a default reads as [] and others as null."""
        table = _table(prior_hsct=True).drop_columns(["prior_hsct", "mrd"])

        record = cohort_from_table(table, allow_missing_columns=True).record(0)

        assert (record.prior_hsct, record.mrd) == (None, [])

    def test_group_columns_may_be_left_out(self):
        """Without its column, a group is recorded exactly when a field below it is."""
        table = records_table([_record(diagnosis={"who_type": "B-ALL"}), _record()])

        cohort = cohort_from_table(table.drop_columns(["diagnosis", "genetics", "genetics.kmt2a", "consent"]))

        assert [cohort.record(0).diagnosis is None, cohort.record(1).diagnosis is None] == [False, True]

    def test_other_schema_version_is_refused(self):
        """A table written for another record schema version is refused."""
        table = _table().replace_schema_metadata({b"remission.record_schema_version": b"2"})

        assert _problems(table) == ["(schema): record schema version '2'; this version reads '1'"]


class TestValues:
    def test_out_of_vocabulary_value_is_refused_with_its_row(self):
        """A WHO type outside the vocabulary is refused, naming the column and the row."""
        table = _replace(_table(diagnosis={}), "diagnosis.who_type", ["B-ALL", None, "B-ALLL"])

        vocabulary = "['ALAL', 'AML', 'B-ALL', 'T-ALL', 'mature-B/Burkitt']"
        assert _problems(table) == [f"diagnosis.who_type: row 2: 'B-ALLL' is not one of {vocabulary}"]

    def test_out_of_vocabulary_list_item_is_named_with_its_index(self):
        """A syndrome outside the vocabulary is named syndromes[index] with its row."""
        table = _replace(_table(), "syndromes", [[], None, ["Down syndrome", "Turner syndrome"]])

        assert _problems(table)[0].startswith("syndromes[1]: row 2: 'Turner syndrome' is not one of")

    def test_out_of_vocabulary_item_field_is_refused(self):
        """An MRD time point outside the vocabulary is named mrd[index].time_point."""
        result = {"time_point": "day 15", "method": "NGS", "sample_date": "2026-01-01", "value_fraction": 0.0}
        table = records_table([_record(), _record(mrd=[{**result, "time_point": "end of induction"}])])
        mrd = table.column("mrd").to_pylist()
        mrd[1][0]["time_point"] = "day 15"

        problems = _problems(_replace(table, "mrd", pa.array(mrd, type=table.schema.field("mrd").type)))

        assert problems[0].startswith("mrd[0].time_point: row 1: 'day 15' is not one of")

    def test_pattern_is_checked(self):
        """A study id with a space breaks the identifier pattern and is refused."""
        table = _replace(_table(), "patient.study_id", ["P-1", "P 2", "P-3"])

        assert _problems(table)[0].startswith("patient.study_id: row 1: 'P 2' does not match the pattern")

    def test_bounds_are_checked(self):
        """A negative WBC breaks the model's ≥ 0 bound."""
        table = _replace(_table(), "wbc_at_diagnosis_1e9_per_l", [1.0, -2.0, None])

        assert _problems(table) == ["wbc_at_diagnosis_1e9_per_l: row 1: -2.0 is not ≥ 0.0"]

    def test_not_a_number_is_refused(self):
        """NaN is not a recorded number (the model refuses it too)."""
        table = _replace(_table(), "wbc_at_diagnosis_1e9_per_l", [1.0, math.nan, None])

        assert _problems(table) == ["wbc_at_diagnosis_1e9_per_l: row 1: nan is not a finite number"]

    def test_required_field_is_checked_when_its_group_is_recorded(self):
        """A recorded consent without its date is refused."""
        consent = {"given_by": "parents", "date": "2026-06-01", "form_version": "v1"}
        table = _replace(_table(consent=consent), "consent.date", [datetime.date(2026, 6, 1), None, None])

        assert _problems(table) == [
            "consent.date: row 1: required field is missing",
            "consent.date: row 2: required field is missing",
        ]

    def test_field_of_an_unrecorded_group_is_refused(self):
        """A value in a group whose column says it is not recorded is refused."""
        table = _replace(_table(), "diagnosis.who_type", ["B-ALL", None, None])

        assert _problems(table) == ["diagnosis.who_type: row 0: is recorded although diagnosis is not"]

    def test_null_in_a_list_that_defaults_to_empty_is_refused(self):
        """mrd may be empty but not null."""
        table = _replace(_table(), "mrd", pa.array([[], None, []], type=_table().schema.field("mrd").type))

        assert _problems(table) == ["mrd: row 1: is null; an empty list records none"]

    def test_duplicate_map_key_is_refused(self):
        """A marker named twice in one row's immunophenotype is refused."""
        kind = pa.map_(pa.string(), pa.string())
        markers = pa.array([[("CD19", "positive"), ("CD19", "negative")], None, None], type=kind)
        table = _replace(_table(diagnosis={}), "diagnosis.immunophenotype", markers)

        assert _problems(table) == ["diagnosis.immunophenotype[1].key: row 0: key appears twice in one row"]

    def test_every_problem_is_reported_at_once(self):
        """Two bad columns give two problems in one error."""
        table = _replace(_table(), "prior_hsct", [True, None, None])
        table = _replace(table, "relapse_status", ["relapsed", None, None])
        table = _replace(table, "cns_status", ["CNS4", None, None])

        assert [problem.split(":")[0] for problem in _problems(table)] == ["cns_status", "relapse_status"]


class TestModelRules:
    def test_every_model_validator_has_a_columnar_twin(self):
        """The record models' cross-field validators are exactly those checked on columns."""

        def validators(model: type[BaseModel], seen: set[type]) -> set[str]:
            if model in seen:
                return set()
            seen.add(model)
            found = set(model.__pydantic_decorators__.model_validators)
            for info in model.model_fields.values():
                for inner in _models_in(info.annotation):
                    found |= validators(inner, seen)
            return found

        assert validators(PatientRecord, set()) == set(MODEL_VALIDATORS)

    def test_lineage_without_alal_is_refused(self):
        """A predominant lineage for a B-ALL is refused, as the model refuses it."""
        table = _replace(
            _table(diagnosis={"who_type": "B-ALL"}),
            "diagnosis.alal_predominant_lineage",
            [None, "myeloid", None],
        )

        assert _problems(table) == [
            "diagnosis.alal_predominant_lineage: row 1: is only recorded when who_type is ALAL"
        ]

    def test_partner_without_rearrangement_is_refused(self):
        """A KMT2A partner with germline status is refused."""
        table = _replace(
            _table(genetics={"kmt2a": {"status": "germline"}}), "genetics.kmt2a.partner", ["AFF1", None, None]
        )

        assert _problems(table) == [
            "genetics.kmt2a.partner: row 0: is only recorded when status is rearranged"
        ]

    def test_mrd_value_and_pnq_together_are_refused(self):
        """An MRD result with a value and positive-not-quantifiable is refused."""
        result = {
            "time_point": "end of induction",
            "method": "NGS",
            "sample_date": "2026-01-01",
            "value_fraction": 0.0,
        }
        table = records_table([_record(mrd=[result])])
        mrd = table.column("mrd").to_pylist()
        mrd[0][0]["positive_not_quantifiable"] = True

        problems = _problems(_replace(table, "mrd", pa.array(mrd, type=table.schema.field("mrd").type)))

        assert problems == [
            "mrd[0].value_fraction: row 0: give value_fraction or positive_not_quantifiable, not both"
        ]


class TestConsistency:
    def test_dates_in_the_future_are_refused_given_today(self):
        """With today, a diagnosis after today is refused; a planned study entry is not."""
        table = _table(diagnosis={"date": "2026-12-01"}, study_entry_date="2026-12-02")

        assert _problems(table, today=TODAY)[0] == (
            "diagnosis.date: row 0: 2026-12-01 is in the future (today is 2026-11-21)"
        )

    def test_dates_before_birth_are_refused_given_today(self):
        """With today, a steroid course before birth is refused with its index."""
        course = {"drug": "pred", "systemic": True, "start_date": "2025-01-01", "end_date": None}
        table = _table(count=1, prior_steroids=[course])

        assert _problems(table, today=TODAY) == [
            "prior_steroids[0].start_date: row 0: 2025-01-01 is before patient.date_of_birth 2025-03-01"
        ]

    def test_period_ending_before_it_starts_is_refused(self):
        """With today, a participation that ends before it starts is refused."""
        study = {
            "study_id": "X",
            "interventional": True,
            "start_date": "2026-02-01",
            "end_date": "2026-01-01",
        }
        table = _table(count=1, other_studies=[study])

        assert _problems(table, today=TODAY) == [
            "other_studies[0].end_date: row 0: 2026-01-01 is before start_date 2026-02-01"
        ]

    def test_without_today_dates_are_not_compared(self):
        """Without today, an inconsistent but well-typed table is accepted (as PatientRecord accepts it)."""
        table = _table(diagnosis={"date": "2024-01-01"})

        assert len(cohort_from_table(table)) == 3


class TestNoFalseRefusal:
    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(records(), min_size=1, max_size=10))
    def test_tables_of_valid_records_pass_unchanged(self, generated: list[PatientRecord]):
        """A table made from valid records passes validation and comes back unchanged."""
        table = records_table(generated)

        assert cohort_from_table(table).table.equals(table)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models named anywhere inside an annotation (lists, optionals)."""
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


class TestListLayouts:
    def test_null_list_backed_by_values_reads_as_not_recorded(self):
        """A null list cell whose offsets still span values (legal in Arrow) holds no items."""
        values = pa.array(["Down syndrome", "Fanconi anemia", "Bloom syndrome"])
        offsets = pa.array([0, 1, 3], pa.int32())
        lists = pa.ListArray.from_arrays(offsets, values, mask=pa.array([False, True]))
        table = _replace(_table(count=2), "syndromes", lists)

        cohort = cohort_from_table(table)

        assert [cohort.record(0).syndromes, cohort.record(1).syndromes] == [["Down syndrome"], None]

    def test_sliced_table_is_read_from_its_offset(self):
        """A table sliced from a larger one reads its own rows' list items."""
        table = records_table([_record(syndromes=[name]) for name in ("Down syndrome", "Fanconi anemia")])

        cohort = cohort_from_table(table.slice(1, 1))

        assert cohort.record(0).syndromes == ["Fanconi anemia"]
