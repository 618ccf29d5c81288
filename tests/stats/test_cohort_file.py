"""Reading analysis cohorts from CSV and Parquet files (remission.stats.cohort_file)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from remission.errors import InputError
from remission.stats.cohort_file import file_format, follow_up, read_cohort

ROWS = "time,event,cause,group,age\n5,1,1,a,30\n8,0,0,b,\n3,1,2,a,41\n9,1,1,b,52\n"


def write(tmp_path: Path, text: str, name: str = "cohort.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def problems(error: pytest.ExceptionInfo[InputError]) -> dict[str, str]:
    return {problem.field: problem.problem for problem in error.value.problems}


class TestReading:
    def test_reads_only_the_requested_columns_in_order(self, tmp_path: Path) -> None:
        """The frame holds the requested columns, in the order asked, not the file's."""
        cohort = read_cohort(write(tmp_path, ROWS), {"event": "--event", "time": "--time"})
        assert list(cohort.frame.columns) == ["event", "time"]
        assert cohort.frame["time"].tolist() == [5, 8, 3, 9]

    def test_parquet_reads_like_csv(self, tmp_path: Path) -> None:
        """A Parquet copy of a CSV file gives the same columns and values."""
        csv = write(tmp_path, ROWS)
        parquet = tmp_path / "cohort.parquet"
        pd.read_csv(csv).to_parquet(parquet)
        columns = {"time": "--time", "group": "--group", "age": "--covariates"}
        from_csv, from_parquet = read_cohort(csv, columns), read_cohort(parquet, columns)
        pd.testing.assert_frame_equal(from_csv.frame, from_parquet.frame, check_dtype=False)

    def test_tsv_and_gzip_csv_are_read(self, tmp_path: Path) -> None:
        """Tab-separated and gzip-compressed CSV files are read by their ending."""
        tsv = write(tmp_path, ROWS.replace(",", "\t"), "cohort.tsv")
        gz = tmp_path / "cohort.csv.gz"
        gz.write_bytes(gzip.compress(ROWS.encode()))
        assert read_cohort(tsv, {"time": "--time"}).frame["time"].tolist() == [5, 8, 3, 9]
        assert read_cohort(gz, {"time": "--time"}).frame["time"].tolist() == [5, 8, 3, 9]

    def test_file_type_comes_from_the_ending(self) -> None:
        """Known endings map to their reader, case-insensitively."""
        assert file_format(Path("a.CSV")) == "csv"
        assert file_format(Path("a.pq")) == "parquet"


class TestRefusals:
    def test_missing_file_is_refused(self, tmp_path: Path) -> None:
        """A path that does not exist is named with 'no such file'."""
        with pytest.raises(InputError) as error:
            read_cohort(tmp_path / "absent.csv", {"time": "--time"})
        assert problems(error) == {"--data": "no such file"}
        assert error.value.source.endswith("absent.csv")

    def test_unknown_ending_is_refused(self, tmp_path: Path) -> None:
        """A spreadsheet is refused with the endings that are read."""
        with pytest.raises(InputError) as error:
            read_cohort(write(tmp_path, ROWS, "cohort.xlsx"), {"time": "--time"})
        assert ".parquet" in problems(error)["--data"]

    def test_unreadable_content_is_refused(self, tmp_path: Path) -> None:
        """A .parquet file that is not Parquet gets 'cannot be read', not a traceback."""
        with pytest.raises(InputError) as error:
            read_cohort(write(tmp_path, ROWS, "cohort.parquet"), {"time": "--time"})
        assert problems(error)["--data"].startswith("cannot be read as PARQUET")

    def test_empty_file_is_refused(self, tmp_path: Path) -> None:
        """A file with nothing in it is called empty."""
        with pytest.raises(InputError) as error:
            read_cohort(write(tmp_path, ""), {"time": "--time"})
        assert problems(error) == {"--data": "is empty"}

    def test_header_only_is_refused(self, tmp_path: Path) -> None:
        """A header without data rows is refused."""
        with pytest.raises(InputError) as error:
            read_cohort(write(tmp_path, "time,event\n"), {"time": "--time"})
        assert problems(error) == {"--data": "has no data rows"}

    def test_missing_column_lists_the_available_ones(self, tmp_path: Path) -> None:
        """Each absent column is named with its option, and the file's columns are listed."""
        with pytest.raises(InputError) as error:
            read_cohort(
                write(tmp_path, ROWS), {"futime": "--time", "status": "--event", "age": "--covariates"}
            )
        found = problems(error)
        assert set(found) == {"--time futime", "--event status"}
        assert "time, event, cause, group, age" in found["--time futime"]


class TestMissingValues:
    def test_rows_missing_a_used_column_are_dropped_and_counted(self, tmp_path: Path) -> None:
        """A row missing a used value is dropped; the count is kept per column."""
        cohort = read_cohort(write(tmp_path, ROWS), {"time": "--time", "age": "--covariates"})
        assert cohort.dropped == 1
        assert cohort.rows_read == 4
        assert dict(cohort.missing) == {"time": 0, "age": 1}
        assert cohort.frame["time"].tolist() == [5, 3, 9]

    def test_missing_values_in_unused_columns_drop_nothing(self, tmp_path: Path) -> None:
        """Only the columns the analysis uses decide which rows are complete."""
        cohort = read_cohort(write(tmp_path, ROWS), {"time": "--time", "event": "--event"})
        assert cohort.dropped == 0

    def test_no_complete_row_is_refused(self, tmp_path: Path) -> None:
        """When every row misses a used value, the error counts the missing values per column."""
        with pytest.raises(InputError) as error:
            read_cohort(write(tmp_path, "time,age\n1,\n2,\n"), {"time": "--time", "age": "--covariates"})
        assert "age: 2" in problems(error)["--data"]

    def test_boolean_column_with_missing_values_stays_boolean(self, tmp_path: Path) -> None:
        """After dropping the missing rows, a true/false column is boolean, as without missing values."""
        cohort = read_cohort(write(tmp_path, "flag\ntrue\n\nfalse\n"), {"flag": "--group"})
        assert cohort.frame["flag"].dtype == bool
        assert cohort.frame["flag"].tolist() == [True, False]


class TestNumbers:
    def test_text_in_a_numeric_column_names_a_value_and_row(self, tmp_path: Path) -> None:
        """Non-numeric text is refused with an example value and its data row."""
        cohort = read_cohort(write(tmp_path, "time\n4\nsoon\n6\n"), {"time": "--time"})
        with pytest.raises(InputError) as error:
            cohort.numbers("time")
        assert "'soon' (data row 2)" in problems(error)["--time time"]

    def test_booleans_become_zero_and_one(self, tmp_path: Path) -> None:
        """true/false event columns read as 1/0."""
        cohort = read_cohort(write(tmp_path, "event\nTrue\nFalse\n"), {"event": "--event"})
        assert cohort.numbers("event").tolist() == [1.0, 0.0]

    def test_numeric_text_is_accepted(self, tmp_path: Path) -> None:
        """A column read as text whose values are all numbers converts."""
        cohort = read_cohort(write(tmp_path, "time\n4\n5\n"), {"time": "--time"})
        cohort.frame["time"] = cohort.frame["time"].astype(str)
        assert cohort.numbers("time").tolist() == [4.0, 5.0]


class TestFollowUp:
    def test_every_problem_of_every_column_is_reported(self, tmp_path: Path) -> None:
        """Negative times and out-of-set event codes are both reported in one error."""
        cohort = read_cohort(write(tmp_path, "t,e\n-1,1\n2,2\n"), {"t": "--time", "e": "--event"})
        with pytest.raises(InputError) as error:
            follow_up(cohort, "t", event="e")
        found = problems(error)
        assert "negative" in found["--time t"]
        assert "codes [2] are outside the declared set [0, 1]" in found["--event e"]

    def test_causes_outside_the_declared_set_are_refused(self, tmp_path: Path) -> None:
        """With declared causes 1 and 2, a code 3 is refused."""
        cohort = read_cohort(write(tmp_path, "t,c\n1,1\n2,3\n"), {"t": "--time", "c": "--cause"})
        with pytest.raises(InputError) as error:
            follow_up(cohort, "t", cause="c", causes=[1, 2])
        assert "codes [3] are outside the declared set [0, 1, 2]" in problems(error)["--cause c"]

    def test_negative_cause_codes_are_refused(self, tmp_path: Path) -> None:
        """Causes are 0 or positive; -1 is refused."""
        cohort = read_cohort(write(tmp_path, "t,c\n1,-1\n2,1\n"), {"t": "--time", "c": "--cause"})
        with pytest.raises(InputError) as error:
            follow_up(cohort, "t", cause="c")
        assert "found -1" in problems(error)["--cause c"]

    def test_entry_at_or_after_time_is_refused(self, tmp_path: Path) -> None:
        """A row entering at its own exit time is counted and refused."""
        cohort = read_cohort(
            write(tmp_path, "a,t,e\n0,1,1\n2,2,0\n"), {"a": "--entry", "t": "--time", "e": "--event"}
        )
        with pytest.raises(InputError) as error:
            follow_up(cohort, "t", event="e", entry="a")
        assert problems(error)["--entry a"].startswith("1 row(s)")

    def test_valid_columns_come_back_as_arrays(self, tmp_path: Path) -> None:
        """Times are floats and causes integers, one per complete row."""
        cohort = read_cohort(write(tmp_path, ROWS), {"time": "--time", "cause": "--cause"})
        outcome = follow_up(cohort, "time", cause="cause")
        np.testing.assert_array_equal(outcome.time, [5.0, 8.0, 3.0, 9.0])
        np.testing.assert_array_equal(outcome.cause, [1, 0, 2, 1])
        assert outcome.event is None
