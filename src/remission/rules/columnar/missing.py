"""Which fields left a result unknown, for every record, in the scalar engine's order.

The scalar :meth:`~remission.rules.Evaluation.all_missing` lists, for an unknown node, its
own missing fields and then its unknown children's, depth first, without repeats. Each leaf
that can report a missing field gets a :class:`Slot` numbered in that depth-first order when
the expression is compiled. A slot inside ``any_item`` is reported per item; its key is
(position of the ``any_item`` node, item index, slot number), which sorts the same way the
scalar engine walks the items.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class Slot:
    """A place in the expression that can report one missing field.

    ``label`` is the field's path; when ``indexed`` it holds ``{}`` for the item index
    (``prior_steroids[{}].end_date``). ``outer`` is the number of the enclosing ``any_item``
    node, ``None`` at record level.
    """

    order: int
    label: str
    indexed: bool = False
    outer: int | None = None

    def render(self, position: int) -> str:
        return self.label.format(position) if self.indexed else self.label

    @property
    def generic(self) -> str:
        """The label with ``[]`` for any item index (for counting across records)."""
        return self.label.replace("{}", "") if self.indexed else self.label


@dataclass(frozen=True, slots=True)
class Entries:
    """The records (and item positions) where one slot reports its field; ``rows`` is sorted."""

    slot: Slot
    rows: NDArray[np.int64]
    positions: NDArray[np.int64] | None  # None at record level

    def keys_for(self, row: int) -> list[tuple[tuple[int, int, int], str]]:
        start, stop = np.searchsorted(self.rows, [row, row + 1])
        if start == stop:
            return []
        slot = self.slot
        if self.positions is None:
            return [((slot.order, -1, 0), slot.label)]
        assert slot.outer is not None
        return [
            ((slot.outer, int(position), slot.order), slot.render(int(position)))
            for position in self.positions[start:stop]
        ]

    def restricted(self, keep: NDArray[np.bool_]) -> Entries:
        """Only the entries of records where ``keep`` is true."""
        mask = keep[self.rows]
        positions = None if self.positions is None else self.positions[mask]
        return Entries(self.slot, self.rows[mask], positions)


@dataclass(frozen=True, slots=True)
class MissingSet:
    """The missing fields of one expression (or criterion) for every record of a cohort."""

    length: int
    entries: tuple[Entries, ...] = field(default_factory=tuple)

    def paths(self, row: int) -> tuple[str, ...]:
        """The missing fields of ``row`` in the scalar engine's order, without repeats."""
        found = [pair for entries in self.entries for pair in entries.keys_for(row)]
        found.sort(key=lambda pair: pair[0])
        return tuple(dict.fromkeys(label for _, label in found))

    def rows_with_missing(self) -> NDArray[np.bool_]:
        """True for the records that have at least one missing field here."""
        out = np.zeros(self.length, dtype=bool)
        for entries in self.entries:
            out[entries.rows] = True
        return out

    def counts(self) -> Counter[str]:
        """How many records miss each field (item fields counted once per record, as ``list[].field``)."""
        rows: dict[str, list[NDArray[np.int64]]] = {}
        for entries in self.entries:
            rows.setdefault(entries.slot.generic, []).append(entries.rows)
        return Counter({label: len(np.unique(np.concatenate(found))) for label, found in rows.items()})

    def restricted(self, keep: NDArray[np.bool_]) -> MissingSet:
        """Only the records where ``keep`` is true."""
        return MissingSet(self.length, tuple(entries.restricted(keep) for entries in self.entries))


@dataclass
class MissingCollector:
    """Gathers the entries of every slot while the evaluation tree is walked."""

    length: int
    entries: list[Entries] = field(default_factory=list)

    def add(
        self,
        slot: Slot,
        mask: NDArray[np.bool_],
        rows: NDArray[np.int64] | None,
        positions: NDArray[np.int64] | None,
    ) -> None:
        if not mask.any():
            return
        if rows is None:
            self.entries.append(Entries(slot, np.flatnonzero(mask).astype(np.int64), None))
        else:
            assert positions is not None
            self.entries.append(Entries(slot, rows[mask], positions[mask]))

    def result(self) -> MissingSet:
        return MissingSet(self.length, tuple(self.entries))
