"""Typed row filters of a cohort file: ``--where "risk_group != pending"``.

A condition is one column, one operator and one value; several conditions must all hold. The
value is read by the column's type, so a mistake is refused by name instead of silently keeping
nothing: a true/false column takes ``true`` or ``false`` and only ``=`` or ``!=``; a numeric
column takes a number and every operator; a text column takes any text (quotes optional) and
only ``=`` or ``!=``. A row whose filter column is missing satisfies no condition on it: it is
left out with the incomplete rows, as R's ``na.omit`` would, and counted there.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from remission.errors import FieldProblem, InputError

OPTION = "--where"
_CONDITION = re.compile(r"^\s*(?P<column>[^\s=!<>]+)\s*(?P<op>==|=|!=|<=|>=|<|>)\s*(?P<value>.*?)\s*$")
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_EQUALITY = frozenset({"=", "==", "!="})


@dataclass(frozen=True, slots=True)
class Condition:
    """``column op value`` as written; :func:`keep` reads ``value`` by the column's type."""

    column: str
    op: str
    value: str

    def __str__(self) -> str:
        return f"{self.column} {self.op} {self.value}"


def parse_condition(text: str) -> Condition:
    """One ``--where`` text as a condition; :class:`InputError` naming the option when malformed."""
    match = _CONDITION.match(text)
    if match is None or not match["value"]:
        raise InputError(
            OPTION,
            [
                FieldProblem(
                    text, "expected COLUMN OP VALUE with OP one of = != < <= > >=, e.g. risk_group != pending"
                )
            ],
        )
    value = match["value"]
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return Condition(match["column"], match["op"], value)


def keep(frame: pd.DataFrame, conditions: Sequence[Condition]) -> NDArray[np.bool_]:
    """The rows of ``frame`` (complete in the filter columns) that satisfy every condition."""
    kept = np.ones(len(frame), dtype=bool)
    for condition in conditions:
        kept &= _satisfies(frame[condition.column], condition)
    return kept


def _refuse(condition: Condition, problem: str) -> InputError:
    return InputError(OPTION, [FieldProblem(str(condition), problem)])


def _satisfies(series: pd.Series, condition: Condition) -> NDArray[np.bool_]:
    compare = _COMPARE[condition.op]
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.infer_dtype(series) == "boolean":
        if condition.op not in _EQUALITY:
            raise _refuse(condition, f"{condition.column} is true/false: use = or !=")
        flag = condition.value.lower()
        if flag not in ("true", "false"):
            raise _refuse(condition, f"{condition.column} is true/false: compare it with true or false")
        return np.asarray(compare(series.astype(bool), flag == "true"), dtype=bool)
    if pd.api.types.is_numeric_dtype(series.dtype):
        try:
            number = float(condition.value)
        except ValueError:
            raise _refuse(condition, f"{condition.column} holds numbers: compare it with a number") from None
        return np.asarray(compare(series.astype(float), number), dtype=bool)
    if condition.op not in _EQUALITY:
        raise _refuse(condition, f"{condition.column} holds text: use = or !=")
    return np.asarray(compare(series.astype(str), condition.value), dtype=bool)
