"""Reading an analysis cohort from a CSV or Parquet file into checked columns.

A cohort file has one row per subject and named columns (follow-up time, event or cause, groups,
covariates). :func:`read_cohort` reads only the columns an analysis uses, refuses what cannot be
analysed (no such file, an unreadable format, a missing column, no rows) with one
:class:`~remission.errors.InputError` problem per cause, and drops the rows that miss a value in a
used column — as R's ``na.omit`` does — counting them per column so the caller can say so. Nothing
is dropped silently and nothing is guessed. :func:`follow_up` then checks the outcome columns (time,
event or cause codes, entry) and reports every problem of every column in one error.

Missing values are what pandas reads as missing in CSV (an empty field, ``NA``, ``NaN``, ``null``,
``None`` and the like) and nulls (or NaN) in Parquet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from remission.errors import FieldProblem, InputError
from remission.stats.inputs import as_events, as_times, refuse
from remission.stats.row_filter import OPTION as FILTER_OPTION
from remission.stats.row_filter import Condition, keep

#: File name endings and the format they are read as.
FORMATS: tuple[tuple[str, str], ...] = (
    (".csv", "csv"),
    (".csv.gz", "csv"),
    (".tsv", "tsv"),
    (".tsv.gz", "tsv"),
    (".parquet", "parquet"),
    (".pq", "parquet"),
)
_Checked = TypeVar("_Checked")
# At most this many column names are listed when a requested column is missing.
_LISTED_COLUMNS = 40


@dataclass(frozen=True, eq=False)
class Cohort:
    """The used columns of a cohort file, complete rows only, in file order.

    ``frame`` holds one column per requested name; ``rows_read`` counts the data rows of the file;
    ``missing`` counts, per requested column, the rows where it was missing (a row missing several
    values counts under each); ``dropped`` is the number of rows left out for a missing value.
    ``fields`` maps each column to the argument that asked for it (used in messages).
    """

    source: str
    frame: pd.DataFrame
    rows_read: int
    missing: tuple[tuple[str, int], ...]
    fields: tuple[tuple[str, str], ...]
    #: Complete rows left out by the ``where`` conditions.
    filtered: int = 0

    @property
    def dropped(self) -> int:
        """Rows left out for a missing value."""
        return self.rows_read - len(self.frame) - self.filtered

    def field(self, column: str) -> str:
        """How messages name a column: the argument that asked for it and the column name."""
        label = dict(self.fields).get(column)
        return f"{label} {column}" if label and label != column else column

    def refuse(self, column: str, problem: str) -> InputError:
        """The error for one column of this file."""
        return InputError(self.source, [FieldProblem(self.field(column), problem)])

    def values(self, column: str) -> NDArray[np.generic]:
        """The column's values as they were read (numbers or text)."""
        return self.frame[column].to_numpy()

    def numbers(self, column: str) -> NDArray[np.float64]:
        """The column as floats; text, dates and other non-numbers are refused naming a value and row."""
        series = self.frame[column]
        if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
            return series.to_numpy(dtype=np.float64)
        if pd.api.types.is_datetime64_any_dtype(series.dtype) or pd.api.types.is_timedelta64_dtype(
            series.dtype
        ):
            raise self.refuse(column, f"must hold numbers, not {series.dtype} (give times as numbers)")
        converted = pd.to_numeric(series, errors="coerce")
        bad = converted.isna().to_numpy()
        if not bad.any():
            return converted.to_numpy(dtype=np.float64)
        first = int(np.argmax(bad))
        raise self.refuse(
            column,
            f"has {int(bad.sum())} non-numeric value(s), e.g. {series.iloc[first]!r} "
            f"(data row {int(series.index[first]) + 1}); it must hold numbers",
        )


def file_format(path: Path) -> str:
    """``"csv"``, ``"tsv"`` or ``"parquet"`` from the file name; other endings are refused."""
    name = path.name.lower()
    for ending, kind in FORMATS:
        if name.endswith(ending):
            return kind
    endings = ", ".join(ending for ending, _ in FORMATS)
    raise InputError(
        str(path), [FieldProblem("--data", f"unknown file type; give a file ending in {endings}")]
    )


def read_cohort(path: str | Path, columns: Mapping[str, str], where: Sequence[Condition] = ()) -> Cohort:
    """Read the ``columns`` of a CSV or Parquet cohort file and drop rows missing any of them.

    ``where`` keeps only the rows that satisfy every condition (:mod:`remission.stats.row_filter`);
    their columns are read too, and a row missing one of them is dropped as incomplete.

    ``columns`` maps each column name to the argument that asked for it (e.g.
    ``{"futime": "--time"}``), so messages can say both. Returns a :class:`Cohort` of the
    complete rows. Raises :class:`InputError` (source: the file) when the file does not exist, its
    type is unknown or it cannot be parsed, a column is missing (naming the available ones), the file
    has no data rows, or no row has a value in every used column.
    """
    file = Path(path)
    source = str(file)
    columns = {**columns, **{c.column: FILTER_OPTION for c in where if c.column not in columns}}
    if not file.exists():
        raise InputError(source, [FieldProblem("--data", "no such file")])
    if not file.is_file():
        raise InputError(source, [FieldProblem("--data", "is not a file")])
    kind = file_format(file)
    available = _column_names(file, kind)
    absent = [name for name in columns if name not in available]
    if absent:
        listed = ", ".join(available[:_LISTED_COLUMNS]) + (" …" if len(available) > _LISTED_COLUMNS else "")
        raise InputError(
            source,
            [
                FieldProblem(_label(name, columns), f"column {name!r} is not in the file (columns: {listed})")
                for name in absent
            ],
        )
    frame = _read_columns(file, kind, list(columns))
    if len(frame) == 0:
        raise InputError(source, [FieldProblem("--data", "has no data rows")])
    missing_cells = frame.isna()
    missing = tuple((name, int(missing_cells[name].sum())) for name in columns)
    complete = frame.loc[~missing_cells.any(axis=1)].copy()
    for name in complete.columns:
        # A true/false column with missing values is read as objects; once they are dropped it is
        # boolean again, so its groups and codes do not depend on whether values were missing.
        if complete[name].dtype == object and pd.api.types.infer_dtype(complete[name]) == "boolean":
            complete[name] = complete[name].astype(bool)
    fields = tuple((name, label) for name, label in columns.items())
    if len(complete) == 0:
        counts = ", ".join(f"{name}: {count}" for name, count in missing if count)
        raise InputError(
            source,
            [FieldProblem("--data", f"no row has a value in every used column (missing values: {counts})")],
        )
    kept = keep(complete, where)
    if where and not kept.any():
        conditions = " and ".join(str(c) for c in where)
        raise InputError(source, [FieldProblem(FILTER_OPTION, f"no complete row satisfies {conditions}")])
    filtered = int((~kept).sum())
    return Cohort(source, complete.loc[kept], len(frame), missing, fields, filtered)


def _label(name: str, columns: Mapping[str, str]) -> str:
    label = columns[name]
    return f"{label} {name}" if label and label != name else name


def _column_names(file: Path, kind: str) -> list[str]:
    try:
        if kind == "parquet":
            return list(pq.read_schema(file).names)
        header = pd.read_csv(file, sep="\t" if kind == "tsv" else ",", nrows=0)
    except pd.errors.EmptyDataError:
        raise InputError(str(file), [FieldProblem("--data", "is empty")]) from None
    except (OSError, ValueError, UnicodeDecodeError, pa.ArrowException) as error:
        raise _unreadable(file, kind, error) from None
    return [str(name) for name in header.columns]


def _read_columns(file: Path, kind: str, names: list[str]) -> pd.DataFrame:
    try:
        if kind == "parquet":
            frame = pq.read_table(file, columns=names).to_pandas()
        else:
            frame = pd.read_csv(file, sep="\t" if kind == "tsv" else ",", usecols=names)
    except (OSError, ValueError, UnicodeDecodeError, pa.ArrowException) as error:
        raise _unreadable(file, kind, error) from None
    # usecols keeps the file's column order; return the requested order.
    return frame[names].reset_index(drop=True)


def _unreadable(file: Path, kind: str, error: BaseException) -> InputError:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return InputError(str(file), [FieldProblem("--data", f"cannot be read as {kind.upper()}: {detail}")])


@dataclass(frozen=True, eq=False)
class FollowUp:
    """The checked outcome columns of a cohort, one value per complete row.

    ``time`` follow-up (>= 0, the file's unit); ``event`` 1 = event, 0 = censored; ``cause``
    0 = censored, 1..k = cause of the event; ``entry`` late-entry times (< ``time``). Columns not
    asked for are ``None``.
    """

    time: NDArray[np.float64]
    event: NDArray[np.int64] | None = None
    cause: NDArray[np.int64] | None = None
    entry: NDArray[np.float64] | None = None

    def events(self) -> NDArray[np.int64]:
        """``event``, for a caller that gave :func:`follow_up` an event column."""
        if self.event is None:
            raise ValueError("follow_up was not given an event column")
        return self.event

    def causes(self) -> NDArray[np.int64]:
        """``cause``, for a caller that gave :func:`follow_up` a cause column."""
        if self.cause is None:
            raise ValueError("follow_up was not given a cause column")
        return self.cause


def follow_up(
    cohort: Cohort,
    time: str,
    *,
    event: str | None = None,
    cause: str | None = None,
    entry: str | None = None,
    causes: Sequence[float] | None = None,
) -> FollowUp:
    """Check the outcome columns of ``cohort`` and report every problem of every column at once.

    ``time`` must hold numbers >= 0; ``event`` 0/1 (or true/false); ``cause`` whole numbers >= 0
    (0 = censored) and, when ``causes`` declares the cause codes, only 0 and those; ``entry``
    numbers >= 0 below the row's time. Raises one :class:`InputError` listing each problem under
    the column's argument and name.
    """
    problems: list[FieldProblem] = []

    def checked(column: str, convert: Callable[[], _Checked]) -> _Checked | None:
        try:
            return convert()
        except InputError as error:
            problems.extend(FieldProblem(cohort.field(column), p.problem) for p in error.problems)
            return None

    times = checked(time, lambda: as_times(cohort.numbers(time), "time"))
    size = len(cohort.frame)
    events = None if event is None else checked(event, lambda: as_events(cohort.numbers(event), size))
    codes = None if cause is None else checked(cause, lambda: _cause_codes(cohort.numbers(cause), causes))
    entries = None if entry is None else checked(entry, lambda: as_times(cohort.numbers(entry), "entry"))
    if entry is not None and entries is not None and times is not None:
        late = int(np.sum(entries >= times))
        if late:
            problems.append(
                FieldProblem(
                    cohort.field(entry), f"{late} row(s) enter at or after their time; need entry < time"
                )
            )
    if problems or times is None:
        raise InputError(cohort.source, problems)
    return FollowUp(time=times, event=events, cause=codes, entry=entries)


def _cause_codes(values: NDArray[np.float64], declared: Sequence[float] | None) -> NDArray[np.int64]:
    """Whole-number cause codes >= 0, limited to 0 and ``declared`` when given."""
    if np.any(values != np.round(values)):
        raise refuse("cause", "must hold whole numbers: 0 = censored, 1..k = the cause")
    if np.any(values < 0):
        raise refuse("cause", f"codes must be 0 (censored) or a cause 1..k; found {int(values.min())}")
    codes = values.astype(np.int64)
    if declared is not None:
        allowed = sorted({0, *(int(code) for code in declared)})
        outside = sorted(set(np.unique(codes).tolist()) - set(allowed))
        if outside:
            raise refuse("cause", f"codes {outside} are outside the declared set {allowed}")
    return codes
