"""Columnar screening: many records as Arrow columns, expressions compiled to NumPy.

The same three-valued semantics as :mod:`remission.rules` (and the verdict rules of the
protocol screening), over a whole cohort at once. See ``docs/cohorts.md`` for the layout.
"""

from __future__ import annotations

from remission.rules.columnar.cohort import (
    Cohort,
    cohort_from_records,
    cohort_from_table,
    read_cohort,
    take_rows,
    write_cohort,
)
from remission.rules.columnar.compiler import (
    ColumnarEvaluation,
    CompiledExpression,
    as_expression,
    compile_expression,
)
from remission.rules.columnar.convert import records_table
from remission.rules.columnar.kleene import FALSE, TRUE, UNKNOWN, truth_of
from remission.rules.columnar.layout import COLUMNS, cohort_schema
from remission.rules.columnar.missing import MissingSet
from remission.rules.columnar.screening import (
    ELIGIBLE,
    NEEDS_REVIEW,
    NOT_ELIGIBLE,
    VERDICTS,
    CohortScreening,
    CriterionSpec,
    screen_cohort,
)

__all__ = [
    "COLUMNS",
    "ELIGIBLE",
    "FALSE",
    "NEEDS_REVIEW",
    "NOT_ELIGIBLE",
    "TRUE",
    "UNKNOWN",
    "VERDICTS",
    "Cohort",
    "CohortScreening",
    "ColumnarEvaluation",
    "CompiledExpression",
    "CriterionSpec",
    "MissingSet",
    "as_expression",
    "cohort_from_records",
    "cohort_from_table",
    "cohort_schema",
    "compile_expression",
    "read_cohort",
    "records_table",
    "screen_cohort",
    "take_rows",
    "truth_of",
    "write_cohort",
]
