"""The baseline-characteristics table: enrolled patients by risk group, with the total.

Columns are the risk groups in protocol order, then any other group found in the data, then
the patients whose group is still ``pending`` (a column of its own, labelled so), then the
total. Rows: n; age at diagnosis in months, median and interquartile range; sex; WBC at
diagnosis (10⁹/L), median and IQR; CNS status; KMT2A status; and the WHO diagnostic category
when the dataset has it. Every variable has a "not recorded" row: a missing value is counted
there, never folded into a category.

Medians and quartiles are R's default ``quantile(type = 7)`` (linear interpolation between
order statistics, NumPy's ``method="linear"``), over the recorded values only; the R reference
is ``tests/stats/reference/R/baseline.R``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from remission.protocols.stratification import PENDING
from remission.record.vocabulary import CNSStatus, KMT2AStatus, Sex, WhoType
from remission.stats.report.definitions import enrolled

#: Days per month for ages in months (a Julian year over 12): age in months = days / 30.4375.
MONTH_DAYS = 365.25 / 12
#: The label of the row counting missing values of a variable.
NOT_RECORDED = "not recorded"
#: The label of the column of patients whose risk group is not final yet.
PENDING_LABEL = "Pending (no final risk group yet)"
TOTAL = "Total"
#: The dataset columns the table reads (``who_type`` too when the dataset has it).
BASELINE_COLUMNS = (
    "risk_group",
    "age_at_diagnosis_days",
    "sex",
    "wbc_at_diagnosis_1e9_per_l",
    "cns_status",
    "kmt2a_status",
)


@dataclass(frozen=True)
class Quartiles:
    """Median and quartiles (type 7) of the recorded values; ``None`` when none is recorded."""

    recorded: int
    median: float | None
    q1: float | None
    q3: float | None

    @property
    def text(self) -> str:
        """``"4.9 (2.8–7.6)"``, or ``"–"`` without a recorded value."""
        if self.median is None or self.q1 is None or self.q3 is None:
            return "–"
        return f"{self.median:.1f} ({self.q1:.1f}–{self.q3:.1f})"


@dataclass(frozen=True)
class BaselineRow:
    """One row: the variable it belongs to, its label and one value per column.

    A value is a count (categories, n, not recorded) or :class:`Quartiles` (the median row of
    a measured variable). ``texts`` are the printed cells: counts with the column percentage.
    """

    variable: str
    label: str
    values: tuple[int | Quartiles, ...]
    texts: tuple[str, ...]


@dataclass(frozen=True)
class BaselineTable:
    """The table: column labels (groups, pending, total), the group behind each, and the rows."""

    columns: tuple[str, ...]
    groups: tuple[str | None, ...]
    rows: tuple[BaselineRow, ...]

    def row(self, variable: str, label: str) -> BaselineRow:
        """The row of ``variable`` labelled ``label`` (``KeyError`` if there is none)."""
        for row in self.rows:
            if row.variable == variable and row.label == label:
                return row
        raise KeyError((variable, label))


def quartiles(values: pd.Series[float]) -> Quartiles:
    """Median, first and third quartile of the non-missing values, as R ``quantile(type = 7)``."""
    recorded = values.dropna().to_numpy(dtype=np.float64)
    if recorded.size == 0:
        return Quartiles(0, None, None, None)
    q1, median, q3 = (float(v) for v in np.quantile(recorded, [0.25, 0.5, 0.75], method="linear"))
    return Quartiles(int(recorded.size), median, q1, q3)


def _column_order(groups: pd.Series[str], order: Sequence[str]) -> list[str]:
    present = set(groups.dropna().astype(str))
    others = sorted(present - set(order) - {PENDING})
    return [*order, *others, *([PENDING] if PENDING in present else [])]


def _percent(count: int, n: int) -> str:
    return f"{count} ({100 * count / n:.1f}%)" if n else str(count)


def _categories(
    variable: str, title: str, levels: Sequence[str], parts: Sequence[pd.DataFrame]
) -> list[BaselineRow]:
    present = sorted({str(v) for part in parts for v in part[variable].dropna().unique()} - set(levels))
    rows = []
    for level in [*levels, *present]:
        counts = tuple(int((part[variable].astype("string") == level).sum()) for part in parts)
        texts = tuple(_percent(c, len(p)) for c, p in zip(counts, parts, strict=True))
        rows.append(BaselineRow(title, level, counts, texts))
    missing = tuple(int(part[variable].isna().sum()) for part in parts)
    texts = tuple(_percent(c, len(p)) for c, p in zip(missing, parts, strict=True))
    rows.append(BaselineRow(title, NOT_RECORDED, missing, texts))
    return rows


def _measured(variable: str, title: str, scale: float, parts: Sequence[pd.DataFrame]) -> list[BaselineRow]:
    summaries = tuple(quartiles(part[variable].astype("Float64") / scale) for part in parts)
    missing = tuple(int(part[variable].isna().sum()) for part in parts)
    return [
        BaselineRow(title, "median (IQR)", summaries, tuple(s.text for s in summaries)),
        BaselineRow(title, NOT_RECORDED, missing, tuple(str(c) for c in missing)),
    ]


AGE = "Age at diagnosis, months"
WBC = "WBC at diagnosis, 10⁹/L"


def baseline_table(frame: pd.DataFrame, *, group_order: Sequence[str] = ()) -> BaselineTable | None:
    """The baseline table of the enrolled patients of ``frame`` (the endpoint dataset); ``None``
    when the dataset lacks :data:`BASELINE_COLUMNS`.

    ``group_order`` lists the protocol's risk groups in order; each gets a column even when
    empty. Ages are in months (days / :data:`MONTH_DAYS`), WBC in 10⁹/L.
    """
    if any(column not in frame.columns for column in BASELINE_COLUMNS):
        return None
    population = frame[enrolled(frame)]
    order = _column_order(population["risk_group"], group_order)
    parts = [population[population["risk_group"] == group] for group in order] + [population]
    columns = (*(PENDING_LABEL if g == PENDING else g for g in order), TOTAL)
    sizes = tuple(len(part) for part in parts)
    rows = [
        BaselineRow("n", "patients", sizes, tuple(str(n) for n in sizes)),
        *_measured("age_at_diagnosis_days", AGE, MONTH_DAYS, parts),
        *_categories("sex", "Sex", [s.value for s in Sex], parts),
        *_measured("wbc_at_diagnosis_1e9_per_l", WBC, 1.0, parts),
        *_categories("cns_status", "CNS status", [s.value for s in CNSStatus], parts),
        *_categories("kmt2a_status", "KMT2A", [s.value for s in KMT2AStatus], parts),
    ]
    if "who_type" in population.columns and population["who_type"].notna().any():
        rows += _categories("who_type", "Diagnosis (WHO category)", [w.value for w in WhoType], parts)
    return BaselineTable(columns, (*order, None), tuple(rows))
