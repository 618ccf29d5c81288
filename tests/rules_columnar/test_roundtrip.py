"""Records to columns and back: nothing is lost, null and empty lists stay distinct."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remission.record import PatientRecord, parse_record_json
from remission.rules.columnar import cohort_from_records, read_cohort, records_table, take_rows, write_cohort
from rules_columnar.strategies import records

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "patients").glob("*.json"))
TODAY = datetime.date(2026, 11, 21)


def _example(path: Path) -> PatientRecord:
    return parse_record_json(path.read_text("utf-8"), today=TODAY, source=path.name)


def _record(**fields: object) -> PatientRecord:
    return PatientRecord.model_validate({"patient": {"study_id": "P-1"}} | fields)


class TestRoundTrip:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(records(), min_size=1, max_size=8))
    def test_generated_records_come_back_equal(self, generated: list[PatientRecord]):
        """Every generated record equals the record rebuilt from its row."""
        cohort = cohort_from_records(generated)

        assert [cohort.record(row) for row in range(len(cohort))] == generated

    def test_example_records_come_back_equal(self):
        """The 18 example records survive the round trip."""
        originals = [_example(path) for path in EXAMPLES]
        cohort = cohort_from_records(originals)

        assert [cohort.record(row) for row in range(len(cohort))] == originals

    def test_parquet_round_trip(self, tmp_path: Path):
        """A cohort written to Parquet reads back into the same table and records."""
        originals = [_example(path) for path in EXAMPLES]
        write_cohort(cohort_from_records(originals), tmp_path / "cohort.parquet")

        again = read_cohort(tmp_path / "cohort.parquet", today=TODAY)

        assert [again.record(row) for row in range(len(again))] == originals

    def test_empty_list_and_null_stay_distinct(self):
        """syndromes [] (assessed, none) and syndromes null (not assessed) give different cells."""
        table = records_table([_record(syndromes=[]), _record()])

        assert table.column("syndromes").to_pylist() == [[], None]

    def test_empty_group_and_absent_group_stay_distinct(self):
        """diagnosis {} (recorded, nothing filled in) and no diagnosis round-trip as themselves."""
        originals = [_record(diagnosis={}), _record()]
        cohort = cohort_from_records(originals)

        assert [cohort.record(0).diagnosis, cohort.record(1).diagnosis] == [originals[0].diagnosis, None]

    def test_take_rows_keeps_the_chosen_records(self):
        """take_rows gives the rows asked for, in that order."""
        originals = [_example(path) for path in EXAMPLES[:3]]

        subset = take_rows(cohort_from_records(originals), [2, 0])

        assert [subset.record(0), subset.record(1)] == [originals[2], originals[0]]

    def test_row_outside_the_cohort_is_refused(self):
        """Asking for a row past the end raises IndexError naming the row."""
        cohort = cohort_from_records([_record()])

        with pytest.raises(IndexError, match="row 1"):
            cohort.record(1)
