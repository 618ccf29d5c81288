"""The record model's cross-field rules and the record consistency checks, as column operations.

Each model validator of the record (``Diagnosis._lineage_only_for_alal`` and so on) has a
vectorised twin here under the same name; a test keeps the two lists equal. The consistency
checks mirror :func:`remission.record.consistency_problems` (dates in the future, dates before
birth, periods that end before they start).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from remission.record.vocabulary import KMT2AStatus, WhoType
from remission.rules.columnar.arrays import EPOCH, as_list, booleans, days, list_parts, valid_mask
from remission.rules.columnar.layout import COLUMNS, Leaf, ListColumn
from remission.rules.columnar.problems import Problems

Arrays = Mapping[str, "pa.Array[Any]"]


def _equals(array: pa.Array[Any], value: str) -> NDArray[np.bool_]:
    equal = pc.equal(array, pa.scalar(value))
    return np.asarray(equal.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _lineage_only_for_alal(arrays: Arrays, problems: Problems) -> None:
    who = arrays["diagnosis.who_type"]
    bad = (
        valid_mask(arrays["diagnosis.alal_predominant_lineage"])
        & valid_mask(who)
        & ~_equals(who, WhoType.ALAL)
    )
    problems.rows(
        "diagnosis.alal_predominant_lineage", bad, lambda _: "is only recorded when who_type is ALAL"
    )


def _partner_only_when_rearranged(arrays: Arrays, problems: Problems) -> None:
    status = arrays["genetics.kmt2a.status"]
    bad = valid_mask(arrays["genetics.kmt2a.partner"]) & ~_equals(status, KMT2AStatus.REARRANGED)
    problems.rows("genetics.kmt2a.partner", bad, lambda _: "is only recorded when status is rearranged")


def _value_or_pnq(arrays: Arrays, problems: Problems) -> None:
    mrd = as_list(arrays["mrd"])
    parts = list_parts(mrd)
    items = parts.items(mrd.values)
    value = valid_mask(pc.struct_field(items, "value_fraction"))
    pnq = booleans(pc.struct_field(items, "positive_not_quantifiable"))
    where = {"rows": parts.parents, "positions": parts.positions}
    problems.rows(
        "mrd[].value_fraction",
        pnq & value,
        lambda _: "give value_fraction or positive_not_quantifiable, not both",
        **where,
    )
    problems.rows(
        "mrd[].value_fraction",
        ~pnq & ~value,
        lambda _: "value_fraction is required unless positive_not_quantifiable is true",
        **where,
    )


#: Vectorised twins of the record model's validators, by the validator's name.
MODEL_VALIDATORS: dict[str, Callable[[Arrays, Problems], None]] = {
    "_lineage_only_for_alal": _lineage_only_for_alal,
    "_partner_only_when_rearranged": _partner_only_when_rearranged,
    "_value_or_pnq": _value_or_pnq,
}

# A planned study entry may lie ahead (as in remission.record.consistency).
_MAY_BE_PLANNED = frozenset({"study_entry_date"})


def _iso(day: int) -> str:
    return str(EPOCH + np.timedelta64(day, "D"))


def consistency(arrays: Arrays, problems: Problems, *, today: date) -> None:
    """Report dates in the future, dates before birth and periods ending before they start."""
    today_day = int((np.datetime64(today, "D") - EPOCH).astype(np.int64))
    born_array = arrays["patient.date_of_birth"]
    born, born_known = days(born_array), valid_mask(born_array)

    def check(
        name: str,
        values: NDArray[np.int64],
        known: NDArray[np.bool_],
        rows: NDArray[np.int64] | None,
        positions: NDArray[np.int64] | None = None,
    ) -> None:
        where = {"rows": rows, "positions": positions}
        if name not in _MAY_BE_PLANNED:
            future = known & (values > today_day)
            problems.rows(
                name, future, lambda i: f"{_iso(values[i])} is in the future (today is {today})", **where
            )
        row_of = np.arange(len(values)) if rows is None else rows
        if name != "patient.date_of_birth":
            early = known & born_known[row_of] & (values < born[row_of])
            problems.rows(
                name,
                early,
                lambda i: f"{_iso(values[i])} is before patient.date_of_birth {_iso(born[row_of[i]])}",
                **where,
            )

    for column in COLUMNS:
        if isinstance(column, Leaf) and column.scalar.kind == "date":
            array = arrays[column.path]
            check(column.path, days(array), valid_mask(array), None)
        elif isinstance(column, ListColumn) and column.of_records:
            _item_dates(column, arrays[column.path], check, problems)


def _item_dates(
    column: ListColumn, array: pa.Array[Any], check: Callable[..., None], problems: Problems
) -> None:
    listed = as_list(array)
    parts = list_parts(listed)
    items = parts.items(listed.values)
    names = [leaf.path for leaf in column.fields]
    found: dict[str, tuple[NDArray[np.int64], NDArray[np.bool_]]] = {}
    for index, leaf in enumerate(column.fields):
        if leaf.scalar.kind != "date":
            continue
        child = pc.struct_field(items, [index])
        found[leaf.path] = (days(child), valid_mask(child))
        check(f"{column.path}[].{leaf.path}", *found[leaf.path], parts.parents, parts.positions)
    if "start_date" in names and "end_date" in names:
        (start, start_known), (end, end_known) = found["start_date"], found["end_date"]
        bad = start_known & end_known & (end < start)
        problems.rows(
            f"{column.path}[].end_date",
            bad,
            lambda i: f"{_iso(end[i])} is before start_date {_iso(start[i])}",
            rows=parts.parents,
            positions=parts.positions,
        )
