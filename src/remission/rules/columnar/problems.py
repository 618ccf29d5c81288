"""Collecting problems of a cohort table, each naming the column (or item field) and the row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from remission.errors import FieldProblem, InputError

#: Rows listed per problem before the rest are counted, so a bad column gives a readable message.
ROWS_SHOWN = 5


@dataclass
class Problems:
    """Problems found so far; :meth:`raise_if_any` turns them into one :class:`InputError`."""

    source: str
    found: list[FieldProblem] = field(default_factory=list)

    def add(self, field_name: str, problem: str) -> None:
        self.found.append(FieldProblem(field_name, problem))

    def rows(
        self,
        field_name: str,
        bad: NDArray[np.bool_],
        describe: Callable[[int], str],
        *,
        rows: NDArray[np.int64] | None = None,
        positions: NDArray[np.int64] | None = None,
    ) -> None:
        """Report the elements where ``bad`` is true (at most :data:`ROWS_SHOWN` of them).

        For item-level arrays, ``rows`` maps each element to its row and ``positions`` to its
        index within the row's list, so the field is named ``list[index].field``.
        """
        where = np.flatnonzero(bad)
        for element in where[:ROWS_SHOWN]:
            row = int(element if rows is None else rows[element])
            name = field_name
            if positions is not None:  # "mrd[].value_fraction" -> "mrd[2].value_fraction"
                name = field_name.replace("[]", f"[{int(positions[element])}]", 1)
            self.add(name, f"row {row}: {describe(int(element))}")
        if len(where) > ROWS_SHOWN:
            self.add(field_name, f"... and {len(where) - ROWS_SHOWN} more with the same problem")

    def raise_if_any(self) -> None:
        if self.found:
            raise InputError(self.source, self.found)
