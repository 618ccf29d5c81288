"""The design matrix: numeric covariates, treatment-coded factors, missing rows and refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from remission.errors import InputError
from remission.stats.design import design_matrix
from stats.r_reference import dataset


def _refused_field(error: pytest.ExceptionInfo[InputError]) -> str:
    return error.value.problems[0].field


class TestNumericCovariates:
    def test_numeric_columns_keep_name_and_values(self) -> None:
        """Numeric covariates enter unchanged, in the order named, under their own names."""
        design = design_matrix({"age": [50, 60, 70], "dose": [1.5, 2.5, 0.5]}, ["dose", "age"])
        assert design.terms == ("dose", "age")
        np.testing.assert_array_equal(design.matrix, [[1.5, 50], [2.5, 60], [0.5, 70]])

    def test_matrix_is_float64_rows_by_terms(self) -> None:
        """The matrix is float64 with one row per used row and one column per term."""
        design = design_matrix({"a": [1, 2, 3, 4], "b": [True, False, True, True]}, ["a", "b"])
        assert design.matrix.dtype == np.float64
        assert design.matrix.shape == (4, 2)

    def test_data_frame_is_accepted(self) -> None:
        """A pandas data frame works as the column mapping."""
        lung = dataset("lung")
        design = design_matrix(lung, ["age", "sex"])
        np.testing.assert_array_equal(design.matrix[:, 0], lung["age"].to_numpy(dtype=float))


class TestCategoricalCovariates:
    def test_text_levels_are_alphabetical_with_first_as_reference(self) -> None:
        """Text levels sort alphabetically; the first is the reference and gets no column."""
        design = design_matrix({"arm": ["b", "c", "a", "b"]}, ["arm"], ["arm"])
        assert design.terms == ("arm=b", "arm=c")
        np.testing.assert_array_equal(design.matrix, [[1, 0], [0, 1], [0, 0], [1, 0]])

    def test_numeric_levels_sort_by_value(self) -> None:
        """Numeric levels sort by value (2 before 10), as R's factor does, not as text."""
        design = design_matrix({"stage": [10, 2, 3, 2]}, ["stage"], ["stage"])
        assert design.terms == ("stage=3", "stage=10")
        assert design.reference_levels == (("stage", "2"),)

    def test_categorical_only_column_is_appended(self) -> None:
        """A column named only in ``categorical`` is added after the covariates."""
        design = design_matrix({"age": [1.0, 2.0, 3.0, 4.0], "arm": ["x", "y", "x", "y"]}, ["age"], ["arm"])
        assert design.terms == ("age", "arm=y")

    def test_veteran_celltype_matches_r_level_order(self) -> None:
        """Veteran's cell types give R's columns (large, smallcell, squamous; adeno is the reference)."""
        design = design_matrix(dataset("veteran"), ["celltype"], ["celltype"])
        assert design.terms == ("celltype=large", "celltype=smallcell", "celltype=squamous")
        assert design.reference_levels == (("celltype", "adeno"),)


class TestMissingValues:
    def test_rows_with_a_missing_covariate_are_dropped_and_counted(self) -> None:
        """Rows missing any covariate are left out, marked in ``rows_used`` and counted in ``dropped``."""
        columns = {"a": [1.0, np.nan, 3.0, 4.0, 6.0], "g": ["x", "y", None, "y", "x"]}
        design = design_matrix(columns, ["a", "g"], ["g"])
        np.testing.assert_array_equal(design.rows_used, [True, False, False, True, True])
        assert design.dropped == 2
        np.testing.assert_array_equal(design.matrix, [[1.0, 0.0], [4.0, 1.0], [6.0, 0.0]])

    def test_lung_ecog_drops_the_one_missing_row(self) -> None:
        """Lung with ph_ecog as a factor drops its single missing ECOG row, as na.omit does."""
        design = design_matrix(dataset("lung"), ["age", "sex", "ph_ecog"], ["ph_ecog"])
        assert design.dropped == 1
        assert design.terms == ("age", "sex", "ph_ecog=1", "ph_ecog=2", "ph_ecog=3")

    def test_levels_come_from_the_rows_used(self) -> None:
        """A level seen only on dropped rows gets no column."""
        design = design_matrix({"a": [1.0, 2.0, 3.0, np.nan], "g": ["x", "y", "x", "z"]}, ["a", "g"], ["g"])
        assert design.terms == ("a", "g=y")

    def test_nullable_pandas_missing_is_dropped(self) -> None:
        """pandas' ``pd.NA`` in a nullable integer column counts as missing."""
        frame = pd.DataFrame({"a": pd.array([1, None, 3, 5], dtype="Int64"), "b": [1.0, 2.0, 3.0, 1.0]})
        design = design_matrix(frame, ["a", "b"])
        assert design.dropped == 1


class TestRefusals:
    def test_unknown_column_is_named(self) -> None:
        """A covariate that is not a column is refused under its own name."""
        with pytest.raises(InputError) as error:
            design_matrix({"age": [1, 2, 3]}, ["age", "weight"])
        assert _refused_field(error) == "weight"

    def test_text_in_a_numeric_covariate_is_refused(self) -> None:
        """A text column used as numeric is refused, naming it and suggesting ``categorical``."""
        with pytest.raises(InputError, match="categorical") as error:
            design_matrix({"arm": ["a", "b", "a"]}, ["arm"])
        assert _refused_field(error) == "arm"

    def test_mixed_text_and_numbers_is_refused(self) -> None:
        """An object column mixing numbers and text is not numeric."""
        with pytest.raises(InputError) as error:
            design_matrix({"x": np.array([1, "2", 3.0], dtype=object)}, ["x"])
        assert _refused_field(error) == "x"

    def test_infinite_value_is_refused(self) -> None:
        """An infinite covariate value is refused rather than carried into the fit."""
        with pytest.raises(InputError, match="infinite") as error:
            design_matrix({"x": [1.0, np.inf, 3.0]}, ["x"])
        assert _refused_field(error) == "x"

    def test_single_level_factor_is_refused(self) -> None:
        """A categorical column with one level among the rows used is refused."""
        with pytest.raises(InputError, match="single level") as error:
            design_matrix({"a": [1.0, 2.0, np.nan], "g": ["x", "x", "y"]}, ["a", "g"], ["g"])
        assert _refused_field(error) == "g"

    def test_constant_numeric_column_is_refused(self) -> None:
        """A constant numeric column (aliased with the baseline hazard) is refused."""
        with pytest.raises(InputError, match="constant") as error:
            design_matrix({"a": [1.0, 2.0, 3.0], "c": [5, 5, 5]}, ["a", "c"])
        assert _refused_field(error) == "c"

    def test_collinear_column_names_the_later_term(self) -> None:
        """A column that is a combination of earlier ones is refused, naming it and its partners."""
        columns = {"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": [2.0, 1.0, 0.0, 1.0, 3.0]}
        columns["c"] = [2 * a - b + 7 for a, b in zip(columns["a"], columns["b"], strict=True)]
        with pytest.raises(InputError, match="'c' is collinear with 'a', 'b'") as error:
            design_matrix(columns, ["a", "b", "c"])
        assert _refused_field(error) == "c"

    def test_dummy_collinear_with_numeric_names_the_factor(self) -> None:
        """A dummy that repeats a numeric 0/1 column is refused under the factor's column name."""
        columns = {"male": [1, 0, 1, 0, 1], "sex": ["m", "f", "m", "f", "m"], "age": [3, 4, 5, 6, 8]}
        with pytest.raises(InputError, match="'sex=m' is collinear with 'male'") as error:
            design_matrix(columns, ["male", "age", "sex"], ["sex"])
        assert _refused_field(error) == "sex"

    def test_columns_of_different_lengths_are_refused(self) -> None:
        """Columns must all have one value per row."""
        with pytest.raises(InputError) as error:
            design_matrix({"a": [1.0, 2.0, 3.0], "b": [1.0, 2.0]}, ["a", "b"])
        assert _refused_field(error) == "b"

    def test_no_covariates_is_refused(self) -> None:
        """At least one covariate must be named."""
        with pytest.raises(InputError):
            design_matrix({"a": [1.0, 2.0]}, [])

    def test_column_named_twice_is_refused(self) -> None:
        """Naming a covariate twice is refused instead of building a singular design."""
        with pytest.raises(InputError, match="more than once"):
            design_matrix({"a": [1.0, 2.0, 3.0]}, ["a", "a"])

    def test_all_rows_missing_is_refused(self) -> None:
        """When no row is complete there is nothing to fit."""
        with pytest.raises(InputError, match="no row"):
            design_matrix({"a": [1.0, np.nan], "b": [np.nan, 2.0]}, ["a", "b"])

    def test_more_terms_than_rows_allow_are_refused(self) -> None:
        """Centred columns of n rows span at most n - 1 directions, so p ≥ n terms are refused."""
        with pytest.raises(InputError, match="complete row"):
            design_matrix({"a": [1.0, 2.0, 4.0], "b": [3.0, 1.0, 2.0], "c": [0.0, 5.0, 1.0]}, ["a", "b", "c"])
