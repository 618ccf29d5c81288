"""The baseline-characteristics table: counts, missing values and R's type-7 quartiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from remission.stats.report.baseline import (
    AGE,
    NOT_RECORDED,
    PENDING_LABEL,
    WBC,
    Quartiles,
    baseline_table,
    quartiles,
)
from stats.r_reference import assert_close, fixture
from stats.report.helpers import baseline_frame

ORDER = ("LR", "IR", "HR")
CATEGORIES = {
    "Sex": "sex",
    "CNS status": "cns_status",
    "KMT2A": "kmt2a_status",
    "Diagnosis (WHO category)": "who_type",
}


def _reference_key(column: str) -> str:
    return "pending" if column == PENDING_LABEL else column


@pytest.fixture(scope="module")
def table():
    return baseline_table(baseline_frame(), group_order=ORDER)


class TestAgainstR:
    def test_columns_are_the_groups_in_protocol_order_then_pending_then_total(self, table):
        """LR, IR, HR as the protocol orders them, the pending column labelled, then the total."""
        assert table.columns == ("LR", "IR", "HR", PENDING_LABEL, "Total")

    def test_median_and_quartiles_match_r_quantile_type_7(self, table):
        """Age (months) and WBC medians and quartiles equal R's quantile(type = 7) in every column."""
        reference = fixture("report_baseline")
        for variable, key in ((AGE, "age_months"), (WBC, "wbc")):
            row = table.row(variable, "median (IQR)")
            for column, value in zip(table.columns, row.values, strict=True):
                assert isinstance(value, Quartiles)
                want = reference[_reference_key(column)][key]
                got = {"recorded": value.recorded, "q1": value.q1, "median": value.median, "q3": value.q3}
                assert_close(got, want, rtol=1e-12, where=f"{column}.{key}")

    def test_counts_and_not_recorded_match_r(self, table):
        """n, every category and the not-recorded counts equal R's in every column."""
        reference = fixture("report_baseline")
        for index, column in enumerate(table.columns):
            want = reference[_reference_key(column)]
            assert table.row("n", "patients").values[index] == want["n"]
            assert table.row(AGE, NOT_RECORDED).values[index] == want["age_not_recorded"]
            assert table.row(WBC, NOT_RECORDED).values[index] == want["wbc_not_recorded"]
            for title, key in CATEGORIES.items():
                for label, count in want[key].items():
                    row_label = NOT_RECORDED if label == "not_recorded" else label
                    assert table.row(title, row_label).values[index] == count, (column, title, label)


class TestMissingValues:
    def test_missing_is_its_own_row_and_never_a_category(self):
        """Two missing sexes are counted as not recorded; the female and male rows hold only the recorded."""
        frame = pd.DataFrame(
            {
                "protocol_id": ["P"] * 4,
                "risk_group": ["LR"] * 4,
                "age_at_diagnosis_days": [30, 60, None, 90],
                "sex": ["female", None, None, "male"],
                "wbc_at_diagnosis_1e9_per_l": [1.0, 2.0, 3.0, None],
                "cns_status": ["CNS1"] * 4,
                "kmt2a_status": ["germline"] * 4,
            }
        )
        table = baseline_table(frame, group_order=("LR", "IR"))
        assert table is not None
        assert table.columns == ("LR", "IR", "Total")
        assert table.row("Sex", "female").values == (1, 0, 1)
        assert table.row("Sex", NOT_RECORDED).texts == ("2 (50.0%)", "0", "2 (50.0%)")
        assert table.row(WBC, "median (IQR)").texts == ("2.0 (1.5–2.5)", "–", "2.0 (1.5–2.5)")

    def test_patients_not_enrolled_are_left_out(self):
        """Rows without a protocol are not counted in any column."""
        frame = baseline_frame()
        table = baseline_table(frame, group_order=ORDER)
        assert table.row("n", "patients").values[-1] == int(frame["protocol_id"].notna().sum())

    def test_a_dataset_without_the_baseline_columns_gives_no_table(self):
        """Without age, sex, WBC, CNS and KMT2A columns there is no table, not an empty one."""
        assert baseline_table(pd.DataFrame({"protocol_id": ["P"], "risk_group": ["LR"]})) is None


def test_quartiles_of_an_even_count_interpolate():
    """Four values 1, 2, 4, 8: type 7 gives Q1 1.75, median 3, Q3 5."""
    got = quartiles(pd.Series([8.0, 1.0, np.nan, 4.0, 2.0]))
    assert got == Quartiles(4, 3.0, 1.75, 5.0)
